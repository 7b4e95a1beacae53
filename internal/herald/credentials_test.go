package herald

import (
	"errors"
	"testing"
)

func TestCredentialsMapSecrets(t *testing.T) {
	c := Credentials{Account: "x", Secrets: map[string]string{"access_token": "a"}, Public: map[string]string{"user_id": "1"}}
	sealed, err := c.MapSecrets(func(k, v string) (string, error) { return "sealed:" + k + ":" + v, nil })
	if err != nil || sealed.Secrets["access_token"] != "sealed:access_token:a" || sealed.Public["user_id"] != "1" {
		t.Fatalf("MapSecrets = %+v, %v", sealed, err)
	}
	if c.Secrets["access_token"] != "a" {
		t.Error("MapSecrets changed its receiver's map")
	}
	if _, err := c.MapSecrets(func(string, string) (string, error) { return "", errors.New("bad key") }); err == nil {
		t.Error("an error of f is not returned")
	}
}
