package compose

import (
	"strings"
	"text/template"
	"text/template/parse"
)

// A template made only of text and plain field actions ("{{.Title}}
// {{.URL}}", as most accounts have) is rendered by concatenation: the same
// output as text/template, without reflection, which matters when shortening
// renders a post several times.

// field names a Data field.
type field int8

const (
	noField field = iota
	fieldTitle
	fieldURL
	fieldSummary
	fieldSection
	fieldHashtags
	fieldAuthor
)

var fieldNames = map[string]field{
	"Title": fieldTitle, "URL": fieldURL, "Summary": fieldSummary,
	"Section": fieldSection, "Hashtags": fieldHashtags, "Author": fieldAuthor,
}

// segment is literal text or a field.
type segment struct {
	text  string
	field field
}

func (d *Data) get(f field) string {
	switch f {
	case fieldTitle:
		return d.Title
	case fieldURL:
		return d.URL
	case fieldSummary:
		return d.Summary
	case fieldSection:
		return d.Section
	case fieldHashtags:
		return d.Hashtags
	case fieldAuthor:
		return d.Author
	}
	return ""
}

// segmentsOf returns t as segments, or nil if it uses anything else
// (conditionals, functions, pipelines, nested templates).
func segmentsOf(t *template.Template) []segment {
	if t.Tree == nil || len(t.Templates()) > 1 {
		return nil
	}
	var segs []segment
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			segs = append(segs, segment{text: string(n.Text)})
		case *parse.ActionNode:
			f := plainField(n.Pipe)
			if f == noField {
				return nil
			}
			segs = append(segs, segment{field: f})
		default:
			return nil
		}
	}
	return segs
}

func plainField(p *parse.PipeNode) field {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return noField
	}
	fn, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok || len(fn.Ident) != 1 {
		return noField
	}
	return fieldNames[fn.Ident[0]]
}

// renderSegments writes the segments with d's fields into b.
func renderSegments(b *strings.Builder, segs []segment, d *Data) {
	for _, s := range segs {
		if s.field == noField {
			b.WriteString(s.text)
		} else {
			b.WriteString(d.get(s.field))
		}
	}
}
