package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// X's v2 query parameters as the API declares them, for the operations
// Herald calls. X answers 400 with an invalid-request problem for a query
// parameter an operation does not declare and for a field value outside its
// enumeration; the emulation does the same. The tables follow the X API v2
// OpenAPI document: the fields parameter is "tweet.fields" in v2.159 and in
// X's documentation of the live API (docs.x.com/x-api/fundamentals/fields),
// "post.fields" in v2.167, so both are declared, each with its revision's
// values. testdata/x-api-v2/openapi-excerpt.json holds both revisions and
// TestXDeclaredParamsMatchSpec keeps these tables equal to them.

// xPostFields159 are the Post fields of v2.159 ("tweet.fields").
var xPostFields159 = []string{"article", "attachments", "author_id", "card_uri", "community_id",
	"context_annotations", "conversation_id", "created_at", "display_text_range", "edit_controls",
	"edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang", "media_metadata",
	"non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics",
	"public_metrics", "referenced_tweets", "reply_settings", "scopes", "source", "suggested_source_links",
	"suggested_source_links_with_counts", "text", "withheld"}

// xPostFields167 are the Post fields of v2.167 ("post.fields").
var xPostFields167 = []string{"article", "article_title", "attachments", "card_uri", "community_id",
	"context_annotations", "conversation_id", "created_at", "display_text_range", "edit_controls",
	"entities", "geo", "id", "lang", "matched_media_notes", "media_metadata", "non_public_metrics",
	"note_post", "note_request_suggestions", "organic_metrics", "paid_partnership", "possibly_sensitive",
	"promoted_metrics", "public_metrics", "reply_settings", "scopes", "source", "suggested_source_links",
	"suggested_source_links_with_counts", "text", "withheld"}

// xExpandParams are the expansion and other objects' field parameters every
// Post-returning operation declares; their values are not checked here.
var xExpandParams = []string{"expansions", "media.fields", "poll.fields", "user.fields", "place.fields"}

// xDeclaredQuery returns the query parameters route declares (nil for a
// route without query parameters) and, per parameter, its enumerated
// values when they are checked.
func xDeclaredQuery(route string) (names []string, enums map[string][]string) {
	fields := map[string][]string{"tweet.fields": xPostFields159, "post.fields": xPostFields167,
		"exclude": {"replies", "retweets"}}
	switch route {
	case "GET /2/tweets":
		return append([]string{"ids", "tweet.fields", "post.fields"}, xExpandParams...), fields
	case "GET /2/users/{id}/tweets":
		return append([]string{"since_id", "until_id", "max_results", "pagination_token", "exclude",
			"start_time", "end_time", "tweet.fields", "post.fields"}, xExpandParams...), fields
	case "GET /2/users/me":
		return []string{"user.fields", "expansions", "tweet.fields", "post.fields"}, fields
	}
	return nil, nil
}

// xCheckQuery answers a request whose query the route's declaration does
// not allow, as X does; nil when the query is acceptable. Routes outside the
// tables (v1.1, OAuth) are not checked here.
func xCheckQuery(r *http.Request, fieldsParam string) *reply {
	switch r.Pattern {
	case "GET /2/tweets", "GET /2/users/{id}/tweets", "GET /2/users/me", "POST /2/tweets", "DELETE /2/tweets/{id}":
	default:
		return nil
	}
	names, enums := xDeclaredQuery(r.Pattern)
	if fieldsParam != "" {
		names = slices.DeleteFunc(slices.Clone(names), func(n string) bool {
			return (n == "tweet.fields" || n == "post.fields") && n != fieldsParam
		})
	}
	q := r.URL.Query()
	keys := keysOf(q)
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(names, k) {
			declared := slices.Clone(names)
			slices.Sort(declared)
			rep := xInvalid(k, q.Get(k), "The query parameter ["+k+"] is not one of ["+strings.Join(declared, ",")+"]")
			return &rep
		}
		allowed, ok := enums[k]
		if !ok {
			continue
		}
		for _, v := range strings.Split(q.Get(k), ",") {
			if !slices.Contains(allowed, v) {
				rep := xInvalid(k, v, "The `"+k+"` query parameter value ["+v+"] is not one of ["+strings.Join(allowed, ",")+"]")
				return &rep
			}
		}
	}
	return nil
}

// xCreatePostProperties are the properties of POST /2/tweets's JSON body
// (TweetCreateRequest in v2.159, CreatePostsRequest in v2.167; the
// schema allows no others).
var xCreatePostProperties = []string{"card_uri", "community_id", "direct_message_deep_link", "edit_options",
	"for_super_followers_only", "geo", "made_with_ai", "media", "nullcast", "paid_partnership", "poll",
	"quote_tweet_id", "reply", "reply_settings", "share_with_followers", "text"}

// xCheckCreateBody answers a POST /2/tweets body with a property the schema
// does not declare as X does, or returns nil.
func xCheckCreateBody(fields map[string]json.RawMessage) *reply {
	bad := undocumented(xCreatePostProperties, keysOf(fields))
	if len(bad) == 0 {
		return nil
	}
	rep := xProblem(http.StatusBadRequest, "Invalid Request", xProblemBase+"invalid-request",
		"One or more parameters to your request was invalid.")
	rep.body.(map[string]any)["errors"] = []any{map[string]any{"message": "$." + bad[0] +
		": is not defined in the schema and the schema does not allow additional properties"}}
	return &rep
}
