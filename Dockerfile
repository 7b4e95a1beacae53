# syntax=docker/dockerfile:1
#
#   docker build -t herald .
#   docker run --rm -p 8080:8080 -v herald-data:/data herald
#
# Build: a static binary (no cgo: SQLite is modernc.org/sqlite, pure Go).
# Pinned: Go 1.26.11 carries the net/http, crypto/tls and crypto/x509
# security fixes released after 1.26.8 (a fetcher of hostile feeds needs them).
FROM golang:1.26.11 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w \
        -X github.com/heraldhq/herald/internal/cli.version=${VERSION} \
        -X github.com/heraldhq/herald/internal/cli.commit=${COMMIT} \
        -X github.com/heraldhq/herald/internal/cli.date=${DATE}" \
      -o /out/herald ./cmd/herald \
 && mkdir -p -m 0700 /out/data

# Run: distroless (CA certificates, no shell), as the unprivileged "nonroot" user.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/herald /usr/local/bin/herald
# The shipped configuration and its sample feed, so the image runs as is.
# Mount your own at /app/configs/herald.yaml, or pass --config / HERALD_CONFIG.
COPY --from=build /src/configs/ /app/configs/
COPY --from=build /src/testdata/feeds/ /app/testdata/feeds/
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV HERALD_DATABASE_URL=sqlite:/data/herald.db \
    HERALD_HTTP_ADDR=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["herald"]
CMD ["run"]
