package herald

import (
	"testing"

	"github.com/heraldhq/herald/internal/testkit"
)

func TestRedactURL(t *testing.T) {
	testkit.Table(t, "RedactURL", RedactURL, map[string]string{
		"":                         "",
		"sqlite:data/herald.db":    "sqlite:data/herald.db",
		"postgres://u:p%40ss@h/db": "postgres://u:***@h/db",
		"postgres://u@h/db":        "postgres://u@h/db",
		"postgres://h/db?user=u&password=pw&sslmode=off":               "postgres://h/db?user=u&password=***&sslmode=off",
		"postgres://h/db?sslpassword=pw&PASSWORD=x":                    "postgres://h/db?sslpassword=***&PASSWORD=***",
		"postgres://u:pw@h:5432/db%zz":                                 "postgres://***",
		"host=db user=herald password=s3cret dbname=herald":            "host=db user=herald password=*** dbname=herald",
		"host=db password='s3 cret' sslpassword = \"k\" sslmode=full":  "host=db password=*** sslpassword = *** sslmode=full",
		"https://news.example/feed?apikey=A1&api_key=A2&key=A3&page=2": "https://news.example/feed?apikey=***&api_key=***&key=***&page=2",
		"https://news.example/feed?token=T&secret=S&sig=G&signature=X": "https://news.example/feed?token=***&secret=***&sig=***&signature=***",
		"https://user:pw@news.example/feed.xml":                        "https://user:***@news.example/feed.xml",
		"https://hub.example/?Token=T#frag":                            "https://hub.example/?Token=***#frag",
		"sqlite:data/herald.db?_pragma=busy_timeout(5000)&key=K":       "sqlite:data/herald.db?_pragma=busy_timeout(5000)&key=***",
		"https://news.example/feed?monkey=1":                           "https://news.example/feed?monkey=1",
	})
}
