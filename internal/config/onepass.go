package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
)

// pruneKeys removes from raw, in place, what checkKeys reports: unknown
// keys and values of the wrong shape, so that the rest can still be decoded
// and checked in the same run.
func pruneKeys(raw any, t reflect.Type) {
	switch {
	case t.Kind() == reflect.Struct && t != durationType:
		m, ok := raw.(map[string]any)
		if !ok {
			return
		}
		fs := fields(t)
		for k, v := range m {
			i := slices.IndexFunc(fs, func(f field) bool { return f.key == k })
			if i < 0 || !shapeFits(v, fs[i].typ) {
				delete(m, k)
				continue
			}
			pruneKeys(v, fs[i].typ)
		}
	case t.Kind() == reflect.Map:
		m, ok := raw.(map[string]any)
		if !ok {
			return
		}
		for k, v := range m {
			if !shapeFits(v, t.Elem()) {
				delete(m, k)
				continue
			}
			pruneKeys(v, t.Elem())
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if l, ok := raw.([]any); ok {
			for _, e := range l {
				pruneKeys(e, t.Elem())
			}
		}
	}
}

// shapeFits reports whether v has the shape checkKeys wants for type t (a
// mapping for a struct or map, a list for a slice).
func shapeFits(v any, t reflect.Type) bool {
	if v == nil {
		return true
	}
	switch {
	case t.Kind() == reflect.Struct && t != durationType, t.Kind() == reflect.Map:
		_, ok := v.(map[string]any)
		return ok
	case t.Kind() == reflect.Slice:
		_, list := v.([]any)
		_, str := v.(string)
		return list || (str && t.Elem().Kind() == reflect.String)
	}
	return true
}

// allProblems adds to errs (unknown keys, wrong types) what Validate finds
// in what did decode, leaving out a key already at fault and the keys under
// it: a value that could not be read is not also "missing".
func allProblems(cfg *Config, errs []FieldError) []FieldError {
	var ve *ValidationError
	if !errors.As(cfg.Validate(), &ve) {
		return errs
	}
	for _, fe := range ve.Errors {
		if !slices.ContainsFunc(errs, func(e FieldError) bool { return within(fe.Key, e.Key) }) {
			errs = append(errs, fe)
		}
	}
	return errs
}

// within reports whether key is at or under parent ("sources[0].interval"
// is under "sources[0]").
func within(key, parent string) bool {
	if parent == "" {
		return false
	}
	if key == parent {
		return true
	}
	return strings.HasPrefix(key, parent+".") || strings.HasPrefix(key, parent+"[")
}

// appendNew appends the errors of more that errs does not hold yet.
func appendNew(errs []FieldError, more ...FieldError) []FieldError {
	for _, fe := range more {
		if !slices.Contains(errs, fe) {
			errs = append(errs, fe)
		}
	}
	return errs
}
