package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time:
//
//	go build -ldflags "-X github.com/heraldhq/herald/internal/cli.version=v1.2.0
//	  -X github.com/heraldhq/herald/internal/cli.commit=$(git rev-parse HEAD)
//	  -X github.com/heraldhq/herald/internal/cli.date=$(date -u +%FT%TZ)" ./cmd/herald
//
// Left empty, they come from the build information the Go toolchain stamps.
var (
	version string
	commit  string
	date    string
)

// BuildInfo says which Herald this is.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Build returns this binary's build information.
func Build() BuildInfo {
	b := BuildInfo{
		Version:   version,
		Commit:    commit,
		Date:      date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && b.Commit != "" && commit == "" {
			b.Commit += "-dirty"
		}
	}
	for _, v := range []*string{&b.Version, &b.Commit, &b.Date} {
		if *v == "" {
			*v = "unknown"
		}
	}
	if b.Version == "unknown" {
		b.Version = "dev"
	}
	return b
}

func newVersionCmd(a *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print Herald's version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := Build()
			if asJSON {
				return writeJSON(a, "", b)
			}
			_, err := fmt.Fprintf(a.Out(), "herald %s\ncommit:  %s\nbuilt:   %s\ngo:      %s %s\n",
				b.Version, b.Commit, b.Date, b.GoVersion, b.Platform)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
