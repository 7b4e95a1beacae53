package herald

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The signature of Herald's webhooks, the one it receives (internal/web)
// and the alerts it sends (internal/notify): the body is signed with a
// shared secret together with the time it was sent.
const (
	SignatureHeader = "X-Herald-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	TimestampHeader = "X-Herald-Timestamp" // unix seconds
)

// SignWebhook returns the SignatureHeader value of body sent at timestamp
// (unix seconds, as sent in TimestampHeader).
func SignWebhook(secret, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(webhookMAC(secret, timestamp, body))
}

// ValidWebhookSignature checks a SignatureHeader value ("sha256=<hex>") of
// body sent at timestamp, in constant time.
func ValidWebhookSignature(secret, timestamp string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, webhookMAC(secret, timestamp, body))
}

func webhookMAC(secret, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}
