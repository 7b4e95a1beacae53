package feed

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// xmlScan is a strict scan of an XML feed.
type xmlScan struct {
	b     []byte
	i     int
	stack [][]byte // names of the open elements below the one being scanned
}

// split finds the items of an RSS (0.9x, 1.0, 2.0) or Atom document.
func (x *xmlScan) split() (split, bool) {
	if !x.prolog() {
		return split{}, false
	}
	rootStart := x.i
	root, empty, ok := x.startTag()
	if !ok {
		return split{}, false
	}
	var itemName, kind = "", uint64(0)
	switch {
	case string(root) == "rss" || string(root) == "rdf:RDF":
		itemName, kind = "item", ctxRSS
	case string(root) == "feed":
		itemName, kind = "entry", ctxAtom
	default:
		return split{}, false
	}
	rootTag := x.b[rootStart:x.i]
	var s split
	channels, rootItems, channelItems := 0, 0, 0
	var channelTag []byte
	if !empty {
		// The root's children: items, a channel (RSS) and the rest.
		for {
			name, start, empty, closed, ok := x.child()
			if !ok {
				return split{}, false
			}
			if closed {
				if string(name) != string(root) {
					return split{}, false
				}
				break
			}
			switch {
			case string(name) == itemName:
				end, ok := x.rest(name, empty)
				if !ok {
					return split{}, false
				}
				s.items = append(s.items, span{start, end})
				rootItems++
			case kind == ctxRSS && string(name) == "channel":
				channels++
				channelTag = x.b[start:x.i]
				n, ok := x.channel(&s, empty)
				if !ok || channels > 1 {
					return split{}, false
				}
				channelItems += n
			default:
				if ambiguous(name, itemName) || ambiguous(name, "channel") {
					return split{}, false
				}
				if _, ok := x.rest(name, empty); !ok {
					return split{}, false
				}
			}
		}
	}
	// gofeed puts a channel's items before the root's: one or the other.
	if rootItems > 0 && channelItems > 0 {
		return split{}, false
	}
	if !x.epilog() {
		return split{}, false
	}
	h := xxhash.New()
	var k [8]byte
	binary.LittleEndian.PutUint64(k[:], kind)
	h.Write(k[:])
	h.Write(rootTag)
	if channelItems > 0 {
		h.Write(channelTag)
	}
	s.ctx = h.Sum64()
	return s, true
}

// channel scans an RSS channel's content after its start tag, appending its
// items to s, and returns how many it found.
func (x *xmlScan) channel(s *split, empty bool) (int, bool) {
	if empty {
		return 0, true
	}
	n := 0
	for {
		name, start, childEmpty, closed, ok := x.child()
		if !ok {
			return 0, false
		}
		if closed {
			return n, string(name) == "channel"
		}
		if string(name) != "item" && ambiguous(name, "item") {
			return 0, false
		}
		end, ok := x.rest(name, childEmpty)
		if !ok {
			return 0, false
		}
		if string(name) == "item" {
			s.items = append(s.items, span{start, end})
			n++
		}
	}
}

// ambiguous reports whether an element name is not want but gofeed may take
// it for want (it compares lower-cased local names).
func ambiguous(name []byte, want string) bool {
	local := name
	if c := bytes.LastIndexByte(name, ':'); c >= 0 {
		local = name[c+1:]
	}
	return string(name) != want && strings.EqualFold(string(local), want)
}

// child moves to the next child element of the element being scanned: it
// returns its name, where its start tag began (x.i is then after the start
// tag) and whether it is empty (<a/>), or, at the end tag of the element
// being scanned, its name and closed. Text, comments and CDATA between
// children are skipped.
func (x *xmlScan) child() (name []byte, start int, empty, closed, ok bool) {
	for {
		j := bytes.IndexByte(x.b[x.i:], '<')
		if j < 0 {
			return nil, 0, false, false, false
		}
		x.i += j
		if found, ok := x.skipMarkup(); found {
			if !ok {
				return nil, 0, false, false, false
			}
			continue
		}
		switch {
		case x.i < len(x.b)-1 && x.b[x.i+1] == '/':
			name, ok := x.endTag()
			return name, 0, false, true, ok
		case x.i < len(x.b)-1 && (x.b[x.i+1] == '!' || x.b[x.i+1] == '?'):
			return nil, 0, false, false, false // a DTD, a PI, or bad markup
		default:
			start = x.i
			name, empty, ok := x.startTag()
			return name, start, empty, false, ok
		}
	}
}

// rest scans the rest of an element whose start tag was just read (and may
// have been empty) and returns the offset after its end.
func (x *xmlScan) rest(name []byte, empty bool) (int, bool) {
	if empty {
		return x.i, true
	}
	x.stack = append(x.stack[:0], name)
	for len(x.stack) > 0 {
		child, _, childEmpty, closed, ok := x.child()
		if !ok {
			return 0, false
		}
		if closed {
			top := x.stack[len(x.stack)-1]
			if !bytes.Equal(child, top) {
				return 0, false
			}
			x.stack = x.stack[:len(x.stack)-1]
			continue
		}
		if !childEmpty {
			x.stack = append(x.stack, child)
		}
	}
	return x.i, true
}

// skipMarkup skips a comment or a CDATA section at x.i: found says whether
// there was one, ok whether it was well formed.
func (x *xmlScan) skipMarkup() (found, ok bool) {
	rest := x.b[x.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		// encoding/xml ends a comment at the first "--", which must be "-->".
		k := bytes.Index(rest[4:], []byte("--"))
		if k < 0 || 4+k+2 >= len(rest) || rest[4+k+2] != '>' {
			return true, false
		}
		x.i += 4 + k + 3
		return true, true
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		k := bytes.Index(rest[9:], []byte("]]>"))
		if k < 0 {
			return true, false
		}
		x.i += 9 + k + 3
		return true, true
	}
	return false, false
}

// startTag reads a start tag at x.i: its name and whether it is empty
// (<a/>). Attribute values must be quoted and hold no '<'.
func (x *xmlScan) startTag() (name []byte, empty, ok bool) {
	b := x.b
	i := x.i + 1
	n := nameEnd(b, i)
	if n == i {
		return nil, false, false
	}
	name = b[i:n]
	i = n
	for {
		j := skipSpace(b, i)
		if j >= len(b) {
			return nil, false, false
		}
		switch {
		case b[j] == '>':
			x.i = j + 1
			return name, false, true
		case b[j] == '/' && j+1 < len(b) && b[j+1] == '>':
			x.i = j + 2
			return name, true, true
		case j == i:
			return nil, false, false // no space before an attribute
		}
		k := nameEnd(b, j)
		if k == j {
			return nil, false, false
		}
		k = skipSpace(b, k)
		if k >= len(b) || b[k] != '=' {
			return nil, false, false
		}
		k = skipSpace(b, k+1)
		if k >= len(b) || (b[k] != '"' && b[k] != '\'') {
			return nil, false, false
		}
		q := bytes.IndexByte(b[k+1:], b[k])
		if q < 0 || bytes.IndexByte(b[k+1:k+1+q], '<') >= 0 {
			return nil, false, false
		}
		i = k + 1 + q + 1
	}
}

// endTag reads an end tag at x.i and returns its name.
func (x *xmlScan) endTag() ([]byte, bool) {
	b := x.b
	i := x.i + 2
	n := nameEnd(b, i)
	if n == i {
		return nil, false
	}
	j := skipSpace(b, n)
	if j >= len(b) || b[j] != '>' {
		return nil, false
	}
	x.i = j + 1
	return b[i:n], true
}

// nameEnd returns the end of an ASCII XML name at i (i itself if none).
func nameEnd(b []byte, i int) int {
	j := i
	for j < len(b) {
		c := b[j]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
		if !letter && (j == i || !(c >= '0' && c <= '9' || c == '-' || c == '.')) {
			break
		}
		j++
	}
	return j
}

// prolog skips the XML declaration (which must declare UTF-8 or nothing),
// comments, processing instructions and space before the root; a DTD fails.
func (x *xmlScan) prolog() bool {
	b := x.b
	if bytes.HasPrefix(b[x.i:], []byte("<?xml")) {
		end := bytes.Index(b[x.i:], []byte("?>"))
		if end < 0 {
			return false
		}
		decl := b[x.i : x.i+end]
		if bytes.Contains(decl, []byte("encoding")) {
			m := xmlDeclRe.FindSubmatch(b[x.i : x.i+end+2])
			if m == nil || !(strings.EqualFold(string(m[1]), "utf-8") || strings.EqualFold(string(m[1]), "utf8")) {
				return false
			}
		}
		x.i += end + 2
	}
	return x.misc()
}

// misc skips comments, processing instructions (not <?xml) and space; it
// stops at an element.
func (x *xmlScan) misc() bool {
	b := x.b
	for {
		x.i = skipSpace(b, x.i)
		if x.i >= len(b) {
			return true
		}
		if b[x.i] != '<' {
			return false
		}
		rest := b[x.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			if _, ok := x.skipMarkup(); !ok {
				return false
			}
		case bytes.HasPrefix(rest, []byte("<?")):
			if len(rest) >= 5 && strings.EqualFold(string(rest[2:5]), "xml") {
				return false
			}
			end := bytes.Index(rest, []byte("?>"))
			if end < 0 {
				return false
			}
			x.i += end + 2
		case bytes.HasPrefix(rest, []byte("<!")):
			return false // DTD, CDATA outside the root
		default:
			return true
		}
	}
}

// epilog accepts only comments, processing instructions and space after the
// root element.
func (x *xmlScan) epilog() bool {
	return x.misc() && x.i >= len(x.b)
}
