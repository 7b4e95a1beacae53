package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix starts every environment variable Herald reads.
const EnvPrefix = "HERALD_"

var (
	configType  = reflect.TypeFor[Config]()
	accountType = reflect.TypeFor[Account]()
	sourceType  = reflect.TypeFor[Source]()
	webhookType = reflect.TypeFor[Webhook]()
)

// flagKeys are the command-line flags that override keys when present in
// the flag set given to Load.
var flagKeys = map[string]string{
	"log-level":  "log.level",
	"log-format": "log.format",
}

// Options are Load's inputs beyond the file path.
type Options struct {
	// Path is the file to read. Empty means DefaultPath, which may be
	// missing; a path given explicitly must exist.
	Path string
	// Flags, when set, override keys with the flags the user changed
	// (--log-level, --log-format).
	Flags *pflag.FlagSet
	// Version goes into the default feed User-Agent; empty: from build info.
	Version string
}

// Load reads the configuration: defaults, then the YAML file at path (""
// reads DefaultPath if it exists), then HERALD_* environment variables, then
// the flags the user changed. It rejects unknown keys and values of the wrong
// type with a *ValidationError, but does not call Validate.
func Load(path string, flags *pflag.FlagSet) (*Config, error) {
	return LoadOptions(Options{Path: path, Flags: flags})
}

// LoadOptions is Load with every input spelled out.
func LoadOptions(o Options) (*Config, error) {
	v := viper.New()
	def := Default()
	if o.Version != "" {
		def.Feed.UserAgent = UserAgent(o.Version)
	}
	defaults := make(map[string]any)
	leafValues(reflect.ValueOf(def).Elem(), "", defaults)
	for key, val := range defaults {
		v.SetDefault(key, val)
	}
	// Accounts and sources are matched against the file's entries below;
	// every other key has exactly one variable.
	for _, key := range leafKeys(configType, "") {
		if err := v.BindEnv(key, EnvPrefix+envName(key)); err != nil {
			return nil, fmt.Errorf("config: bind %s: %w", key, err)
		}
	}
	// The key that seals stored tokens has a name of its own as well.
	if err := v.BindEnv("secrets.key", SecretKeyEnv, EnvPrefix+envName("secrets.key")); err != nil {
		return nil, fmt.Errorf("config: bind secrets.key: %w", err)
	}
	if o.Flags != nil {
		for name, key := range flagKeys {
			if f := o.Flags.Lookup(name); f != nil {
				if err := v.BindPFlag(key, f); err != nil {
					return nil, fmt.Errorf("config: bind --%s: %w", name, err)
				}
			}
		}
	}
	file, err := readFile(v, o.Path)
	if err != nil {
		return nil, err
	}

	// Every problem is reported in one run: unknown keys are set aside by
	// checkKeys (and reported), the rest is decoded (values of the wrong type reported),
	// and what decoded is validated too (see allProblems).
	settings := v.AllSettings()
	var errs []FieldError
	targets := splitTargets(settings, &errs)
	checkKeys("", settings, configType, &errs)
	applyCollectionEnv(settings, os.Environ(), &errs)
	var envErrs []FieldError
	checkKeys("", settings, configType, &envErrs)
	errs = appendNew(errs, envErrs...)
	if accounts, ok := settings["accounts"].(map[string]any); ok {
		for _, a := range accounts {
			if m, ok := a.(map[string]any); ok {
				applyAccountDefaults(m)
			}
		}
	}
	if sources, ok := settings["sources"].([]any); ok {
		for _, s := range sources {
			if m, ok := s.(map[string]any); ok {
				applySourceDefaults(m)
			}
		}
	}

	cfg := &Config{}
	if err := decode(settings, cfg); err != nil {
		errs = append(errs, decodeErrors(err)...)
	}
	if len(errs) > 0 {
		return nil, &ValidationError{File: file, Errors: allProblems(cfg, errs)}
	}
	decodeTargets(cfg, targets, &errs)
	if len(errs) > 0 {
		return nil, &ValidationError{File: file, Errors: errs}
	}
	cfg.File = file
	cfg.resolvePaths(file, v.InConfig("database.url") && os.Getenv(EnvPrefix+"DATABASE_URL") == "")
	// Viper folds keys, hence account ids, to lower case; fold the
	// references to them the same way.
	for i := range cfg.Sources {
		lowerAll(cfg.Sources[i].Targets)
	}
	lowerAll(cfg.HTTP.WebhookTargets)
	return cfg, nil
}

// readFile reads the configuration file into v and returns its path, or ""
// when the default file does not exist.
func readFile(v *viper.Viper, path string) (string, error) {
	if path == "" {
		path = DefaultPath
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
	}
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		var pe *fs.PathError
		var parse viper.ConfigParseError
		switch {
		case errors.As(err, &pe):
			err = pe.Err
		case errors.As(err, &parse):
			err = parse.Unwrap()
		}
		return "", fmt.Errorf("config file %s: %w", path, err)
	}
	return path, nil
}

// applyCollectionEnv applies HERALD_ACCOUNTS_<ID>_<KEY>,
// HERALD_SOURCES_<N>_<KEY> and HERALD_NOTIFY_WEBHOOKS_<N>_<KEY> to the
// accounts, sources and alert webhooks the file defines.
// Account ids may contain "_", so the longest id that leaves a known key wins.
func applyCollectionEnv(settings map[string]any, environ []string, errs *[]FieldError) {
	accounts, _ := settings["accounts"].(map[string]any)
	ids := sortedKeys(accounts)
	slices.SortStableFunc(ids, func(a, b string) int { return len(b) - len(a) })
	accountKeys, sourceKeys := envKeys(accountType), envKeys(sourceType)
	sources, _ := settings["sources"].([]any)
	notify, _ := settings["notify"].(map[string]any)
	webhooks, _ := notify["webhooks"].([]any)
	webhookKeys := envKeys(webhookType)

	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if value == "" {
			continue // as viper does for every other key
		}
		if rest, ok := strings.CutPrefix(name, EnvPrefix+"ACCOUNTS_"); ok {
			id, key := matchAccount(rest, ids, accountKeys)
			if id == "" {
				*errs = append(*errs, FieldError{name, "names no key of an account defined in the configuration file"})
				continue
			}
			setPath(accounts, id+"."+key, value) // ids hold no "." (viper's key delimiter)
		}
		if rest, ok := strings.CutPrefix(name, EnvPrefix+"SOURCES_"); ok {
			applyListEnv(sources, sourceKeys, name, rest, value, "a source", errs)
		}
		if rest, ok := strings.CutPrefix(name, EnvPrefix+"NOTIFY_WEBHOOKS_"); ok {
			applyListEnv(webhooks, webhookKeys, name, rest, value, "an alert webhook", errs)
		}
	}
}

// applyListEnv sets "<N>_<KEY>" (rest, from the variable name) to value in
// the Nth entry of list; what names an entry for the error.
func applyListEnv(list []any, keys map[string]string, name, rest, value, what string, errs *[]FieldError) {
	num, suffix, _ := strings.Cut(rest, "_")
	i, err := strconv.Atoi(num)
	key, known := keys[suffix]
	if err != nil || i < 0 || i >= len(list) || !known {
		*errs = append(*errs, FieldError{name, "names no key of " + what + " defined in the configuration file"})
		return
	}
	m, ok := list[i].(map[string]any)
	if !ok {
		m = make(map[string]any)
		list[i] = m
	}
	setPath(m, key, value)
}

// matchAccount splits "X_MAIN_ACCESS_TOKEN" into an account id and a key.
func matchAccount(rest string, ids []string, keys map[string]string) (id, key string) {
	for _, id := range ids {
		suffix, ok := strings.CutPrefix(rest, envName(id)+"_")
		if !ok {
			continue
		}
		if key, ok := keys[suffix]; ok {
			return id, key
		}
	}
	return "", ""
}

func lowerAll(s []string) {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
}

// decode turns the merged settings into cfg.
func decode(settings map[string]any, cfg *Config) error {
	return decodeValue(settings, cfg)
}

// decodeValue decodes raw settings into out (a pointer).
func decodeValue(settings any, out any) error {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(durationHook, stringListHook),
		WeaklyTypedInput: true, // environment values are strings
		ErrorUnused:      true,
		Result:           out,
	})
	if err != nil {
		return err
	}
	return dec.Decode(settings)
}

// hookError is a message meant for the user, raised while decoding a value.
type hookError string

func (e hookError) Error() string { return string(e) }

// durationHook parses "90s", "2m", "48h". A bare number is refused (is 120
// seconds or minutes?) unless it is 0.
func durationHook(_ reflect.Type, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	rv := reflect.ValueOf(data)
	switch rv.Kind() {
	case reflect.String:
		d, err := time.ParseDuration(strings.TrimSpace(rv.String()))
		if err != nil {
			return nil, hookError("must be a duration like 90s, 15m or 48h")
		}
		return d, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if rv.Type() == durationType {
			return data, nil
		}
		if rv.IsZero() {
			return 0, nil
		}
		return nil, hookError("must be a duration with a unit, like 90s or 2m")
	}
	return data, nil
}

// stringListHook accepts "a, b" (from the environment) for a list of strings.
func stringListHook(from reflect.Type, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice || to.Elem().Kind() != reflect.String {
		return data, nil
	}
	var out []string
	for part := range strings.SplitSeq(data.(string), ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out, nil
}

// bracketKey matches "[x_main]" in mapstructure's "accounts[x_main].cost".
var bracketKey = regexp.MustCompile(`\[([^\]]*[^0-9\]][^\]]*)\]`)

// decodeErrors turns mapstructure's errors into key-naming field errors.
func decodeErrors(err error) []FieldError {
	var out []FieldError
	var walk func(error)
	walk = func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				walk(e)
			}
			return
		}
		de, ok := err.(*mapstructure.DecodeError)
		if !ok {
			if inner := errors.Unwrap(err); inner != nil {
				walk(inner)
			} else {
				out = append(out, FieldError{"", err.Error()})
			}
			return
		}
		inner := de.Unwrap()
		var nested *mapstructure.DecodeError
		if _, ok := inner.(interface{ Unwrap() []error }); ok || errors.As(inner, &nested) {
			walk(inner)
			return
		}
		key := bracketKey.ReplaceAllString(de.Name(), ".$1")
		out = append(out, FieldError{key, valueMessage(inner)})
	}
	walk(err)
	return out
}

// valueMessage says what a value of the wrong type should have been.
func valueMessage(err error) string {
	var he hookError
	if errors.As(err, &he) {
		return string(he)
	}
	var want reflect.Type
	var pe *mapstructure.ParseError
	var ue *mapstructure.UnconvertibleTypeError
	switch {
	case errors.As(err, &pe):
		want = pe.Expected.Type()
	case errors.As(err, &ue):
		want = ue.Expected.Type()
	default:
		return err.Error()
	}
	switch {
	case want == durationType:
		return "must be a duration like 90s, 15m or 48h"
	case want.Kind() == reflect.Bool:
		return "must be true or false"
	case want.Kind() >= reflect.Int && want.Kind() <= reflect.Uint64:
		return "must be a whole number"
	case want.Kind() == reflect.Float32 || want.Kind() == reflect.Float64:
		return "must be a number"
	case want.Kind() == reflect.String:
		return "must be a string"
	case want.Kind() == reflect.Slice:
		return "must be a list"
	}
	return "has the wrong type: " + err.Error()
}
