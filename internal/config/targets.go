package config

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
)

var targetType = reflect.TypeFor[Target]()

// splitTargets replaces each source target written as a mapping
// ({account: x_main, exclude: {...}}) by its account id, so that targets
// stay a list of ids, and returns the mappings by source index. Their keys
// are checked like any other.
func splitTargets(settings map[string]any, errs *[]FieldError) map[int][]map[string]any {
	out := make(map[int][]map[string]any)
	sources, _ := settings["sources"].([]any)
	for i, s := range sources {
		m, _ := s.(map[string]any)
		list, _ := m["targets"].([]any)
		for j, e := range list {
			tm, ok := e.(map[string]any)
			if !ok {
				continue
			}
			key := indexKey(indexKey("sources", i)+".targets", j)
			checkKeys(key, tm, targetType, errs)
			acct, _ := tm["account"].(string)
			if strings.TrimSpace(acct) == "" {
				*errs = append(*errs, FieldError{key + ".account", "must name an account"})
				continue
			}
			list[j] = acct
			out[i] = append(out[i], tm)
		}
	}
	return out
}

// decodeTargets decodes the mappings splitTargets set apart into the
// sources' TargetFilters.
func decodeTargets(cfg *Config, raw map[int][]map[string]any, errs *[]FieldError) {
	for i, list := range raw {
		if i >= len(cfg.Sources) {
			continue
		}
		for _, tm := range list {
			var t Target
			if err := decodeValue(tm, &t); err != nil {
				for _, fe := range decodeErrors(err) {
					fe.Key = joinKey(indexKey("sources", i)+".targets", fe.Key)
					*errs = append(*errs, fe)
				}
				continue
			}
			t.Account = strings.ToLower(t.Account)
			if cfg.Sources[i].TargetFilters == nil {
				cfg.Sources[i].TargetFilters = make(map[string]Target)
			}
			cfg.Sources[i].TargetFilters[t.Account] = t
		}
	}
}

// checkFilter checks a filter's RE2 patterns, naming the key of a bad one.
func (ch *checker) checkFilter(key string, f Filter) {
	for _, p := range []struct {
		name string
		list []string
	}{{"title", f.Title}, {"url", f.URL}} {
		for i, s := range p.list {
			if _, err := regexp.Compile(s); err != nil {
				ch.add(indexKey(key+"."+p.name, i), "must be an RE2 regular expression: %v", err)
			}
		}
	}
}

// checkSourceFilters checks source s's filters and those of its targets;
// key is the source's key (sources[2]).
func (c *Config) checkSourceFilters(ch *checker, key string, s Source) {
	ch.checkFilter(key+".include", s.Include)
	ch.checkFilter(key+".exclude", s.Exclude)
	for _, acct := range sortedKeys(s.TargetFilters) {
		t := s.TargetFilters[acct]
		tkey := indexKey(key+".targets", slices.Index(s.Targets, acct))
		ch.checkFilter(tkey+".include", t.Include)
		ch.checkFilter(tkey+".exclude", t.Exclude)
	}
	ch.atLeast(key+".max_new_per_poll", int64(s.MaxNewPerPoll), -1)
}
