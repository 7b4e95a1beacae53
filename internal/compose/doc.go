// Package compose turns an article into the post an account sends: it runs
// the account's text/template, tags the link with UTM parameters, adds
// hashtags from the article's categories while they fit, and shortens the
// title at a word boundary when the post would exceed the network's limit.
//
// X's limit is counted as twitter-text v3 counts it (WeightedLength): NFC
// first, every URL (also a bare "Amazon.com") weighs 23, an emoji sequence 2,
// code points outside the weight-1 ranges 2.
//
// Everything here is pure: no I/O, safe for concurrent use.
package compose

//go:generate go run gen_tlds.go -in ../../testdata/twitter-text/tlds.yml -out tlds_gen.go
