package app

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// neverMatches is an RE2 pattern no text matches.
const neverMatches = `[^\s\S]`

// filterRules maps a configured filter onto the domain's.
func filterRules(f config.Filter) herald.FilterRules {
	return herald.FilterRules{Categories: f.Categories, Authors: f.Authors, Sections: f.Sections, Title: f.Title, URL: f.URL}
}

// newFilter compiles a configured filter. The configuration is validated
// (a bad pattern is refused with its key), so an error cannot happen here;
// should it, the filter stops every story rather than let all through.
func newFilter(include, exclude config.Filter) *herald.Filter {
	f, err := herald.NewFilter(filterRules(include), filterRules(exclude))
	if err != nil {
		f, _ = herald.NewFilter(herald.FilterRules{Title: []string{neverMatches}}, herald.FilterRules{})
	}
	return f
}

// sourceFilters returns a source's own filter and its targets' filters by
// account (nil and an empty map when it has none).
func sourceFilters(s config.Source) (*herald.Filter, map[string]*herald.Filter) {
	targets := make(map[string]*herald.Filter, len(s.TargetFilters))
	for acct, t := range s.TargetFilters {
		if f := newFilter(t.Include, t.Exclude); f != nil {
			targets[acct] = f
		}
	}
	return newFilter(s.Include, s.Exclude), targets
}

// webhookRules completes the webhook's intake rules for an article recorded
// under a configured source with that source's filters and its targets'.
func webhookRules(cfg *config.Config) func(source string, base herald.IntakeRules) herald.IntakeRules {
	type filters struct {
		source  *herald.Filter
		targets map[string]*herald.Filter
	}
	bySource := make(map[string]filters, len(cfg.Sources))
	for _, s := range cfg.Sources {
		f, t := sourceFilters(s)
		bySource[s.Name] = filters{f, t}
	}
	review := reviewRules(cfg)
	return func(source string, base herald.IntakeRules) herald.IntakeRules {
		base = review(source, base)
		f, ok := bySource[source]
		if !ok {
			return base
		}
		base.Filter = f.source
		for acct, tf := range f.targets {
			base.Targets = append(base.Targets, herald.IntakeTarget{Account: acct, Filter: tf})
		}
		return base
	}
}

// floodWarnings are the readiness warnings of the posts the flood limit
// holds back, one per source that has some.
func floodWarnings(ctx context.Context, st herald.Store, srcs []herald.Source) []string {
	var out []string
	for _, s := range srcs {
		n, err := st.CountFlood(ctx, s.Name)
		if err != nil {
			return append(out, "flood count unknown: "+err.Error())
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("source %s: %d posts held back by publish.max_new_per_poll (herald queue retry --flood %s)",
				s.Name, n, s.Name))
		}
	}
	return out
}

// reviewRules completes a source's intake rules with the posts held for
// review (review: true on the source or the account) and the accounts'
// networks (a story's text per network).
func reviewRules(cfg *config.Config) func(source string, base herald.IntakeRules) herald.IntakeRules {
	sources := make(map[string]bool, len(cfg.Sources))
	for _, s := range cfg.Sources {
		sources[s.Name] = s.Review
	}
	accounts := make(map[string]bool)
	networks := make(map[string]herald.Network, len(cfg.Accounts))
	for id, a := range cfg.Accounts {
		if a.Review {
			accounts[id] = true
		}
		networks[id] = herald.Network(a.Network)
	}
	return func(source string, base herald.IntakeRules) herald.IntakeRules {
		base.Review = base.Review || sources[source]
		base.ReviewAccounts, base.Networks = accounts, networks
		return base
	}
}
