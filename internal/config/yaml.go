package config

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/heraldhq/herald/internal/herald"
)

// YAML renders c as a configuration file would hold it: keys in the order of
// the struct, durations as "48h". It shows secrets as they are; print
// c.Redacted().YAML() to anyone.
func (c *Config) YAML() ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{yamlNode(reflect.ValueOf(*c))}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func yamlNode(v reflect.Value) *yaml.Node {
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	if v.Type() == durationType {
		return scalar("!!str", herald.ShortDuration(time.Duration(v.Int())))
	}
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		network := ""
		if a, ok := v.Interface().(Account); ok {
			network = a.Network
		}
		src, isSource := v.Interface().(Source)
		for _, f := range fields(v.Type()) {
			if only := networkKeys[f.key]; only != nil && network != "" && !slices.Contains(only, network) {
				continue // another network's key: always empty, only noise
			}
			val := yamlNode(v.Field(f.index))
			if isSource && f.key == "targets" && len(src.TargetFilters) > 0 {
				val = targetsNode(src)
			}
			n.Content = append(n.Content, scalar("!!str", f.key), val)
		}
		return n
	case reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		for _, k := range sortedKeys(mapOf(keys)) {
			n.Content = append(n.Content, scalar("!!str", k), yamlNode(v.MapIndex(reflect.ValueOf(k))))
		}
		if len(n.Content) == 0 {
			n.Style = yaml.FlowStyle
		}
		return n
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if v.Type().Elem().Kind() != reflect.Struct {
			n.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			n.Content = append(n.Content, yamlNode(v.Index(i)))
		}
		return n
	case reflect.Bool:
		return scalar("", strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalar("", strconv.FormatInt(v.Int(), 10))
	case reflect.Float32, reflect.Float64:
		return scalar("", strconv.FormatFloat(v.Float(), 'f', -1, 64))
	default:
		return scalar("!!str", v.String())
	}
}

// targetsNode renders a source's targets with their filters: a target
// that has one is written as a mapping, as it was read.
func targetsNode(s Source) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, acct := range s.Targets {
		t, ok := s.TargetFilters[acct]
		if !ok {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: acct})
			continue
		}
		n.Content = append(n.Content, yamlNode(reflect.ValueOf(t)))
	}
	return n
}

// networkKeys are the account keys only one network uses.
var networkKeys = func() map[string][]string {
	m := map[string][]string{"access_token": {NetworkTwitter, NetworkMastodon}}
	for network, keys := range map[string][]string{
		NetworkTwitter: {"api", "auth", "api_base_url", "user_id", "consumer_key", "consumer_secret",
			"access_token_secret", "client_id", "client_secret", "refresh_token"},
		NetworkFacebook: {"graph_base_url", "graph_version", "page_id", "page_access_token", "app_id", "app_secret"},
		NetworkMastodon: {"instance_url", "visibility", "language"},
		NetworkBluesky:  {"pds_url", "handle", "app_password"},
	} {
		for _, k := range keys {
			m[k] = []string{network}
		}
	}
	return m
}()

func mapOf(keys []string) map[string]struct{} {
	m := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		m[k] = struct{}{}
	}
	return m
}
