package config

import (
	"errors"
	"slices"
	"strings"
)

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
