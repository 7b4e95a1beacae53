package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The schema is the Config struct itself: keys are its mapstructure tags.
// These helpers walk it so that unknown keys, environment variable names and
// the documentation test all follow the struct without a second list.

var durationType = reflect.TypeFor[time.Duration]()

// field is one key of a struct in the schema.
type field struct {
	key   string
	index int
	typ   reflect.Type
}

// fields returns the keys of struct type t in declaration order, skipping
// fields without a key (mapstructure:"-").
func fields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		key := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if !f.IsExported() || key == "" || key == "-" {
			continue
		}
		fs = append(fs, field{key: key, index: i, typ: f.Type})
	}
	return fs
}

// isCollection reports whether t holds entries named by the user (account
// ids, source indexes) rather than fixed keys.
func isCollection(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Struct
	}
	return false
}

// leafKeys returns the dotted key paths of every value under struct type t,
// e.g. "quiet_hours.start". Collections (accounts, sources) are left out.
func leafKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for _, f := range fields(t) {
		key := joinKey(prefix, f.key)
		switch {
		case isCollection(f.typ):
		case f.typ.Kind() == reflect.Struct:
			keys = append(keys, leafKeys(f.typ, key)...)
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// leafValues returns the non-zero values under struct value v by dotted key.
func leafValues(v reflect.Value, prefix string, out map[string]any) {
	for _, f := range fields(v.Type()) {
		key, fv := joinKey(prefix, f.key), v.Field(f.index)
		switch {
		case isCollection(f.typ):
		case f.typ.Kind() == reflect.Struct:
			leafValues(fv, key, out)
		case !fv.IsZero():
			out[key] = fv.Interface()
		}
	}
}

// envKeys maps environment variable suffixes ("QUIET_HOURS_START") to the
// dotted keys of struct type t ("quiet_hours.start").
func envKeys(t reflect.Type) map[string]string {
	m := make(map[string]string)
	for _, k := range leafKeys(t, "") {
		m[envName(k)] = k
	}
	return m
}

// envName turns a key path into its environment variable spelling.
func envName(key string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func indexKey(prefix string, i int) string {
	return prefix + "[" + strconv.Itoa(i) + "]"
}

// checkKeys reports, under key, what in raw does not fit type t: unknown
// keys (with the closest known one) and values of the wrong shape (a
// mapping or a list expected). It removes them from raw as it goes, so
// that the rest can still be decoded and checked in the same run; it
// returns false when raw itself has the wrong shape (its caller drops it).
func checkKeys(key string, raw any, t reflect.Type, errs *[]FieldError) bool {
	if raw == nil {
		return true
	}
	switch {
	case t.Kind() == reflect.Struct && t != durationType:
		m, ok := raw.(map[string]any)
		if !ok {
			*errs = append(*errs, FieldError{key, "must be a mapping of keys to values"})
			return false
		}
		fs := fields(t)
		for _, k := range sortedKeys(m) {
			i := slices.IndexFunc(fs, func(f field) bool { return f.key == k })
			if i < 0 {
				*errs = append(*errs, FieldError{joinKey(key, k), unknownKey(k, fs)})
				delete(m, k)
				continue
			}
			if !checkKeys(joinKey(key, k), m[k], fs[i].typ, errs) {
				delete(m, k)
			}
		}
	case t.Kind() == reflect.Map:
		m, ok := raw.(map[string]any)
		if !ok {
			*errs = append(*errs, FieldError{key, "must be a mapping of ids to settings"})
			return false
		}
		for _, k := range sortedKeys(m) {
			if !checkKeys(joinKey(key, k), m[k], t.Elem(), errs) {
				delete(m, k)
			}
		}
	case t.Kind() == reflect.Slice:
		l, ok := raw.([]any)
		if !ok {
			if _, isString := raw.(string); isString && t.Elem().Kind() == reflect.String {
				return true // "a,b" from the environment
			}
			*errs = append(*errs, FieldError{key, "must be a list"})
			return false
		}
		if t.Elem().Kind() == reflect.Struct {
			for i, e := range l {
				if !checkKeys(indexKey(key, i), e, t.Elem(), errs) {
					l[i] = nil
				}
			}
		}
	}
	return true
}

// unknownKey is the message for an unknown key, with the closest known key
// when it is a likely typo.
func unknownKey(k string, fs []field) string {
	best, bestDist := "", 3
	for _, f := range fs {
		if d := editDistance(k, f.key); d < bestDist {
			best, bestDist = f.key, d
		}
	}
	if best == "" {
		return "unknown key"
	}
	return fmt.Sprintf("unknown key (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// setPath stores v at the dotted key path inside m, creating mappings on
// the way.
func setPath(m map[string]any, key string, v any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = make(map[string]any)
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// hasPath reports whether m holds a value at the dotted key path.
func hasPath(m map[string]any, key string) bool {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return false
		}
		m = next
	}
	v, ok := m[parts[len(parts)-1]]
	return ok && v != nil
}
