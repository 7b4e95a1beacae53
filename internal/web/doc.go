// Package web is Herald's HTTP server: health and readiness probes, Prometheus
// metrics, the CMS webhook that announces articles the moment they are
// published, and the mount point of the WebSub callback. Other pages (the
// dashboard, the popular widget, short links) are added with Server.Handle.
//
// # Routes
//
//	GET  /healthz          200 "ok" while the process serves
//	GET  /readyz           200 {"status":"ready"} or 503 {"status":"unavailable","reasons":[...]}; "warnings" either way
//	GET  /metrics          Prometheus text format
//	POST /hooks/articles   the CMS webhook (below)
//	GET  /websub/{source}  WebSub verification of intent (package push)
//	POST /websub/{source}  WebSub content distribution (package push)
//
// # The CMS webhook
//
// The body is one JSON article or an array of at most 1000, at most 1 MiB in
// all, sent with Content-Type application/json:
//
//	{"url": "https://news.example/2026/03/01/story",   required, http(s)
//	 "title": "Headline",                               required; markup is removed
//	 "summary": "...", "author": "...",                 optional
//	 "section": "mexico",      a configured source: recorded under it, its targets
//	 "categories": ["Politics"],                        a breaking_categories match makes it breaking
//	 "image": "https://news.example/img.jpg",
//	 "published_at": "2026-03-01T10:00:00Z",            RFC 3339, or unix seconds as a number
//	 "updated_at": "2026-03-01T10:05:00Z",   the CMS's last edit: an older edit is not applied
//	 "targets": ["x_main"],    account IDs; absent: the defaults; []: record, post nowhere
//	 "priority": "breaking"}   or "normal" (which also overrides a breaking category)
//
// Any other key is refused, so a misspelt "target" cannot post to the default
// accounts. Each request is signed with http.webhook_secret:
//
//	X-Herald-Timestamp: <unix seconds>
//	X-Herald-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
//
// A timestamp more than 5 minutes from the server's clock is refused, so a
// captured request cannot be replayed later; within the window the store
// remembers each accepted signature (herald.ReplayGuard, shared by the
// instances on one database), so a replay is answered 409 and changes
// nothing. A request answered 5xx is forgotten and may be sent again.
// Edits can still arrive out of order: one whose updated_at is older than
// the edit stored is not applied (herald.DecideItem), and its article is
// answered "updated": false with "edit_skipped" saying why. An updated_at
// more than 5 minutes ahead of the server's clock is refused (400).
//
// Answers: 202 {"articles":[{"id","url","section","new","updated","stale"?,"jobs":[ids],"edit_skipped"?}]}
// in payload order (the same article again gives the same id and no new job);
// 400 {"error","field"} naming the field at fault, e.g. "[1].url" (nothing of
// the request is recorded); 401 "invalid signature" or "stale timestamp"; 409
// for a replay; 413
// over 1 MiB; 415 for a type other than JSON; 405 for another method; 503
// when no webhook_secret is configured (unsigned articles are never accepted);
// 500 when the store fails (retry: it is safe).
//
// With curl:
//
//	body='{"url":"https://news.example/2026/03/01/story","title":"Headline"}'
//	ts=$(date +%s)
//	sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$HERALD_HTTP_WEBHOOK_SECRET" | sed 's/^.* //')
//	curl -sS -H 'Content-Type: application/json' -H "X-Herald-Timestamp: $ts" \
//	  -H "X-Herald-Signature: sha256=$sig" --data-binary "$body" "$HERALD_URL/hooks/articles"
//
// From WordPress (a plugin or the theme's functions.php; publish_post also
// fires on edits of a published post, which the webhook turns into an update
// of the article, never a second post):
//
//	add_action('publish_post', function ($post_id, $post) {
//	    $body = wp_json_encode([
//	        'url'          => get_permalink($post),
//	        'title'        => get_the_title($post),
//	        'summary'      => wp_strip_all_tags(get_the_excerpt($post)),
//	        'categories'   => wp_get_post_categories($post_id, ['fields' => 'names']),
//	        'image'        => get_the_post_thumbnail_url($post, 'full') ?: null,
//	        'published_at' => get_post_time('c', true, $post),
//	        'updated_at'   => get_post_modified_time('c', true, $post),
//	    ]);
//	    $ts = (string) time();
//	    wp_remote_post(HERALD_URL . '/hooks/articles', [
//	        'headers'  => ['Content-Type' => 'application/json', 'X-Herald-Timestamp' => $ts,
//	                       'X-Herald-Signature' => 'sha256=' . hash_hmac('sha256', $ts . '.' . $body, HERALD_WEBHOOK_SECRET)],
//	        'body'     => $body,
//	        'timeout'  => 5,
//	        'blocking' => false, // never delay the editor; the feed poller is the safety net
//	    ]);
//	}, 10, 2);
package web
