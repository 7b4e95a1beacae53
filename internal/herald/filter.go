package herald

import (
	"fmt"
	"regexp"
	"strings"
)

// FilterRules select items: an item matches when one of its categories, its
// author or its section is listed (case-insensitively), or when its title or
// URL matches one of the RE2 patterns.
type FilterRules struct {
	Categories []string
	Authors    []string
	Sections   []string
	Title      []string // RE2 patterns
	URL        []string // RE2 patterns
}

func (r FilterRules) empty() bool {
	return len(r.Categories)+len(r.Authors)+len(r.Sections)+len(r.Title)+len(r.URL) == 0
}

// Filter lets an item through when it matches the include rules (if there
// are any) and none of the exclude rules. A nil *Filter lets everything
// through.
type Filter struct {
	include, exclude rules
}

type rules struct {
	FilterRules
	title, url []*regexp.Regexp
}

// NewFilter compiles include and exclude rules. An error names the bad
// pattern's key below the filter ("exclude.title[0]"). It returns nil when
// both are empty.
func NewFilter(include, exclude FilterRules) (*Filter, error) {
	if include.empty() && exclude.empty() {
		return nil, nil
	}
	f := &Filter{}
	var err error
	if f.include, err = compileRules("include", include); err != nil {
		return nil, err
	}
	if f.exclude, err = compileRules("exclude", exclude); err != nil {
		return nil, err
	}
	return f, nil
}

func compileRules(key string, r FilterRules) (rules, error) {
	out := rules{FilterRules: r}
	for _, p := range []struct {
		name string
		src  []string
		dst  *[]*regexp.Regexp
	}{{"title", r.Title, &out.title}, {"url", r.URL, &out.url}} {
		for i, s := range p.src {
			re, err := regexp.Compile(s)
			if err != nil {
				return out, fmt.Errorf("%s.%s[%d]: not a valid RE2 pattern: %w", key, p.name, i, err)
			}
			*p.dst = append(*p.dst, re)
		}
	}
	return out, nil
}

// Stops returns the rule that keeps an item of this section from being
// posted ("exclude categories: Opinion", "include: no rule matched"), or ""
// when the item passes.
func (f *Filter) Stops(it *ArticleInput, section string) string {
	if f == nil {
		return ""
	}
	if rule := f.exclude.match(it, section); rule != "" {
		return "exclude " + rule
	}
	if !f.include.empty() && f.include.match(it, section) == "" {
		return "include: no rule matched"
	}
	return ""
}

// match returns the first rule the item matches, or "".
func (r rules) match(it *ArticleInput, section string) string {
	for _, c := range it.Categories {
		if v, ok := anyFold(r.Categories, c); ok {
			return "categories: " + v
		}
	}
	if v, ok := anyFold(r.Authors, it.Author); ok && it.Author != "" {
		return "authors: " + v
	}
	if v, ok := anyFold(r.Sections, section); ok && section != "" {
		return "sections: " + v
	}
	for _, re := range r.title {
		if re.MatchString(it.Title) {
			return "title: " + re.String()
		}
	}
	for _, re := range r.url {
		if re.MatchString(it.URL) {
			return "url: " + re.String()
		}
	}
	return ""
}

func anyFold(list []string, s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return v, true
		}
	}
	return "", false
}
