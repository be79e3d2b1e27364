package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// This file is the strict manifest decoder. A manifest is decoded in two
// steps, as kubectl and the apiserver would: the YAML is first checked
// field by field against the Go type (so that an unknown field or a bad value
// is reported with its file, line and column, which JSON decoding cannot do),
// then converted to JSON and unmarshalled into the k8s.io/api type.
//
// Scalars of a manifest (tag "json") are resolved as kubectl resolves them:
// sigs.k8s.io/yaml reads YAML 1.1 (yes/no/on/off are booleans, 0644 is octal)
// and the apiserver decodes the JSON strictly (a number given to a string field
// is an error). Structs with yaml tags (tag "yaml") follow yaml.v3 instead,
// since those are decoded with yaml.v3.

// Document is one YAML document of a stream, with its position.
type Document struct {
	File             string
	Line             int // line of the document's first key (1-based)
	APIVersion, Kind string
	Name             string     // metadata.name if present
	Node             *yaml.Node // the document's mapping node (yaml.v3)
}

// FieldError is an error in a manifest, at a position in a file. Path is the
// field's path with concrete indices and map keys ("spec.containers[0].image",
// "spec.containers[0].resources.requests.cpu"); it is empty for an error that
// is not about one field. Column is 0 when unknown.
type FieldError struct {
	File         string
	Line, Column int
	Path         string
	Msg          string
}

// Error formats the error as "FILE:LINE:COL: field PATH: MSG".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString("field " + e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Warnings collects warnings, each recorded once per key, in insertion order.
// The zero value is ready to use; a nil *Warnings discards everything.
type Warnings struct {
	keys map[string]bool
	list []string
}

// Add records msg unless a warning with the same key was recorded before.
func (w *Warnings) Add(key, msg string) {
	if w == nil {
		return
	}
	if w.keys == nil {
		w.keys = make(map[string]bool)
	}
	if w.keys[key] {
		return
	}
	w.keys[key] = true
	w.list = append(w.list, msg)
}

// List returns the recorded warnings in insertion order.
func (w *Warnings) List() []string {
	if w == nil {
		return nil
	}
	return append([]string(nil), w.list...)
}

// Limits that keep hostile input (deep nesting, alias bombs) cheap.
const (
	decodeMaxDepth = 200
	decodeMaxNodes = 1 << 20
)

// SplitDocuments parses a multi-document YAML stream. Empty documents (only
// comments, or null) are skipped; a document of kind v1 List is replaced by
// its items. A document that is not a mapping or lacks apiVersion or kind is
// an error "FILE:LINE: ...".
func SplitDocuments(file string, data []byte) (docs []Document, err error) {
	defer recoverDecodePanic(file, 0, &err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, yamlSyntaxError(file, err)
		}
		root := &n
		if n.Kind == yaml.DocumentNode {
			if len(n.Content) == 0 {
				continue
			}
			root = n.Content[0]
		}
		root = derefAlias(root)
		if root == nil || isNullNode(root) {
			continue
		}
		doc, err := newDocument(file, root)
		if err != nil {
			return nil, err
		}
		if doc.APIVersion == "v1" && doc.Kind == "List" {
			items, err := listItems(file, doc)
			if err != nil {
				return nil, err
			}
			docs = append(docs, items...)
			continue
		}
		docs = append(docs, doc)
	}
}

// newDocument reads the identifying fields of a document's root node.
func newDocument(file string, root *yaml.Node) (Document, error) {
	doc := Document{File: file, Line: root.Line, Node: root}
	if root.Kind != yaml.MappingNode {
		return doc, &FieldError{File: file, Line: root.Line, Column: root.Column,
			Msg: fmt.Sprintf("document is %s, not a mapping with apiVersion and kind", describeNode(root))}
	}
	if len(root.Content) > 0 {
		doc.Line = root.Content[0].Line
	}
	str := func(key string) (string, *yaml.Node, error) {
		v := mappingValue(root, key)
		if v == nil {
			return "", nil, nil
		}
		if v.Kind != yaml.ScalarNode {
			return "", v, &FieldError{File: file, Line: v.Line, Column: v.Column, Path: key,
				Msg: fmt.Sprintf("expected a string, got %s", describeNode(v))}
		}
		return v.Value, v, nil
	}
	var err error
	if doc.APIVersion, _, err = str("apiVersion"); err != nil {
		return doc, err
	}
	if doc.Kind, _, err = str("kind"); err != nil {
		return doc, err
	}
	if doc.APIVersion == "" {
		return doc, &FieldError{File: file, Line: doc.Line, Msg: "document has no apiVersion"}
	}
	if doc.Kind == "" {
		return doc, &FieldError{File: file, Line: doc.Line, Msg: "document has no kind"}
	}
	if md := derefAlias(mappingValue(root, "metadata")); md != nil && md.Kind == yaml.MappingNode {
		if v := derefAlias(mappingValue(md, "name")); v != nil && v.Kind == yaml.ScalarNode {
			doc.Name = v.Value
		}
	}
	return doc, nil
}

// listItems expands a v1 List (as written by kubectl get -o yaml).
func listItems(file string, list Document) ([]Document, error) {
	var out []Document
	items := derefAlias(mappingValue(list.Node, "items"))
	if items == nil || isNullNode(items) {
		return nil, nil
	}
	if items.Kind != yaml.SequenceNode {
		return nil, &FieldError{File: file, Line: items.Line, Column: items.Column, Path: "items",
			Msg: fmt.Sprintf("expected a sequence, got %s", describeNode(items))}
	}
	for _, it := range items.Content {
		it = derefAlias(it)
		if it == nil || isNullNode(it) {
			continue
		}
		d, err := newDocument(file, it)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError turns a yaml.v3 parse error into a FieldError with a line.
func yamlSyntaxError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &FieldError{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// recoverDecodePanic converts a panic on bad input into an error, so that no
// manifest can crash the program. Tests look for "internal error" to catch
// such panics.
func recoverDecodePanic(file string, line int, err *error) {
	if r := recover(); r != nil {
		*err = &FieldError{File: file, Line: line, Msg: fmt.Sprintf("internal error: decoder panicked: %v", r)}
	}
}

// ---------------------------------------------------------------------------
// CheckFields

// CheckFields walks node against Go type t using the field names of tag
// ("json" or "yaml"): through structs (inline and embedded ones included),
// pointers, slices and maps (whose keys are free-form), down to scalars, whose
// kind is checked, and to types that unmarshal themselves
// (resource.Quantity, intstr.IntOrString, metav1.Time …), which are
// unmarshalled into a fresh value. It returns the first error as a
// *FieldError, and calls seen(path, line) for every struct field present, in
// document order. In path an index is "[]" and map keys are omitted
// ("spec.template.spec.containers[].image", "metadata.labels").
func CheckFields(file string, node *yaml.Node, t reflect.Type, tag string, seen func(path string, line int)) (err error) {
	line := 0
	if node != nil {
		line = node.Line
	}
	defer recoverDecodePanic(file, line, &err)
	c := &checker{file: file, tag: tag}
	if seen != nil {
		c.visit = func(path string, key, _ *yaml.Node) { seen(path, key.Line) }
	}
	return c.check(node, t)
}

// checker holds the state of one CheckFields walk.
type checker struct {
	file  string
	tag   string
	visit func(path string, key, value *yaml.Node)
	nodes int // nodes visited, bounded by decodeMaxNodes
}

func (c *checker) check(node *yaml.Node, t reflect.Type) error {
	if node == nil {
		return nil
	}
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		node = node.Content[0]
	}
	if t == nil {
		return &FieldError{File: c.file, Line: node.Line, Column: node.Column, Msg: "no type to check against"}
	}
	return c.walk(node, t, "", "", 0)
}

func (c *checker) errorf(n *yaml.Node, cpath, format string, args ...any) *FieldError {
	return &FieldError{File: c.file, Line: n.Line, Column: n.Column, Path: cpath, Msg: fmt.Sprintf(format, args...)}
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

// walk checks n against t. gpath is the generic path (for seen and the
// simulated-field table), cpath the concrete one (for errors).
func (c *checker) walk(n *yaml.Node, t reflect.Type, gpath, cpath string, depth int) error {
	c.nodes++
	if c.nodes > decodeMaxNodes {
		return c.errorf(n, cpath, "document too large (more than %d nodes once aliases are expanded)", decodeMaxNodes)
	}
	if depth > decodeMaxDepth {
		return c.errorf(n, cpath, "nesting deeper than %d levels", decodeMaxDepth)
	}
	if n.Kind == yaml.AliasNode {
		a := derefAlias(n)
		if a == nil {
			return c.errorf(n, cpath, "unresolved alias *%s", n.Value)
		}
		n = a
	}
	if isNullNode(n) {
		return nil // null leaves any field at its zero value, as in encoding/json
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if c.tag == "yaml" {
		pt := reflect.PointerTo(t)
		if pt.Implements(yamlUnmarshalerType) || pt.Implements(textUnmarshalerType) || isLeafKind(t.Kind()) {
			return c.yamlLeaf(n, t, cpath)
		}
	} else if reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return c.jsonLeaf(n, t, cpath)
	}
	switch t.Kind() {
	case reflect.Struct:
		return c.walkStruct(n, t, gpath, cpath, depth)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && c.tag != "yaml" {
			return c.jsonLeaf(n, t, cpath) // []byte is base64 text in JSON
		}
		if n.Kind != yaml.SequenceNode {
			return c.errorf(n, cpath, "expected a sequence (list), got %s", describeNode(n))
		}
		if t.Kind() == reflect.Array && len(n.Content) > t.Len() {
			return c.errorf(n, cpath, "too many items: %d, at most %d", len(n.Content), t.Len())
		}
		for i, item := range n.Content {
			if err := c.walk(item, t.Elem(), gpath+"[]", cpath+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return c.errorf(n, cpath, "expected a mapping (object), got %s", describeNode(n))
		}
		pairs, err := c.pairs(n, cpath, depth)
		if err != nil {
			return err
		}
		for _, p := range pairs {
			if err := c.checkMapKey(p.key, t.Key(), cpath); err != nil {
				return err
			}
			if err := c.walk(p.value, t.Elem(), gpath, cpath+keyPath(p.key.Value), depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Interface:
		return nil // any value; converted as is
	default:
		if c.tag == "yaml" {
			return c.yamlLeaf(n, t, cpath)
		}
		return c.jsonScalar(n, t, cpath)
	}
}

func isLeafKind(k reflect.Kind) bool {
	switch k {
	case reflect.Struct, reflect.Slice, reflect.Array, reflect.Map, reflect.Interface, reflect.Pointer:
		return false
	}
	return true
}

// walkStruct checks a mapping against the fields of struct type t.
func (c *checker) walkStruct(n *yaml.Node, t reflect.Type, gpath, cpath string, depth int) error {
	if n.Kind != yaml.MappingNode {
		return c.errorf(n, cpath, "expected a mapping (object), got %s", describeNode(n))
	}
	info := structFieldsOf(t, c.tag)
	pairs, err := c.pairs(n, cpath, depth)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		name := p.key.Value
		ft, ok := info.fields[name]
		childC := joinPath(cpath, name)
		if !ok {
			if info.inlineMap != nil {
				if err := c.walk(p.value, info.inlineMap.Elem(), gpath, cpath+keyPath(name), depth+1); err != nil {
					return err
				}
				continue
			}
			msg := fmt.Sprintf("unknown field %q", name)
			if s := suggestField(name, info.names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return c.errorf(p.key, childC, "%s", msg)
		}
		childG := joinPath(gpath, name)
		if c.visit != nil {
			c.visit(childG, p.key, p.value)
		}
		if err := c.walk(p.value, ft, childG, childC, depth+1); err != nil {
			return err
		}
	}
	return nil
}

type yamlPair struct{ key, value *yaml.Node }

// pairs lists the key/value pairs of mapping n, with merge keys ("<<")
// applied as YAML defines them: explicit keys win over merged ones, and an
// earlier merged mapping wins over a later one. A repeated explicit key is an
// error, as in the apiserver's strict decoding. Keys must be scalars.
func (c *checker) pairs(n *yaml.Node, cpath string, depth int) ([]yamlPair, error) {
	if depth > decodeMaxDepth {
		return nil, c.errorf(n, cpath, "nesting deeper than %d levels", decodeMaxDepth)
	}
	var out []yamlPair
	var merges []*yaml.Node
	have := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			k = derefAlias(k)
			if k == nil {
				return nil, c.errorf(n.Content[i], cpath, "unresolved alias")
			}
		}
		if k.Kind != yaml.ScalarNode {
			return nil, c.errorf(k, cpath, "a key must be a string, got %s", describeNode(k))
		}
		if k.Tag == "!!merge" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			merges = append(merges, v)
			continue
		}
		if prev, dup := have[k.Value]; dup {
			return nil, c.errorf(k, joinPath(cpath, k.Value), "duplicate field %q (first at line %d)", k.Value, prev.Line)
		}
		have[k.Value] = k
		out = append(out, yamlPair{k, v})
	}
	for _, m := range merges {
		c.nodes++
		if c.nodes > decodeMaxNodes {
			return nil, c.errorf(m, cpath, "document too large (more than %d nodes once aliases are expanded)", decodeMaxNodes)
		}
		m = derefAlias(m)
		if m == nil {
			return nil, c.errorf(n, cpath, "unresolved alias in merge key")
		}
		var srcs []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			srcs = []*yaml.Node{m}
		case yaml.SequenceNode:
			for _, s := range m.Content {
				s = derefAlias(s)
				if s == nil || s.Kind != yaml.MappingNode {
					return nil, c.errorf(m, cpath, "merge key \"<<\" needs a mapping or a sequence of mappings")
				}
				srcs = append(srcs, s)
			}
		default:
			return nil, c.errorf(m, cpath, "merge key \"<<\" needs a mapping or a sequence of mappings, got %s", describeNode(m))
		}
		for _, s := range srcs {
			sub, err := c.pairs(s, cpath, depth+1)
			if err != nil {
				return nil, err
			}
			for _, p := range sub {
				if _, ok := have[p.key.Value]; ok {
					continue
				}
				have[p.key.Value] = p.key
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// checkMapKey checks that a map key fits the map's key type.
func (c *checker) checkMapKey(k *yaml.Node, kt reflect.Type, cpath string) error {
	switch kt.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, err := strconv.ParseInt(k.Value, 10, kt.Bits()); err != nil {
			return c.errorf(k, cpath, "invalid key %q: expected an integer", k.Value)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err := strconv.ParseUint(k.Value, 10, kt.Bits()); err != nil {
			return c.errorf(k, cpath, "invalid key %q: expected a non-negative integer", k.Value)
		}
	}
	return nil
}

// jsonLeaf checks a value of a type that unmarshals itself from JSON by
// unmarshalling the value's JSON form into a fresh one.
func (c *checker) jsonLeaf(n *yaml.Node, t reflect.Type, cpath string) (err error) {
	data, err := c.toJSON(n, cpath)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = c.errorf(n, cpath, "invalid value %s: %v", displayValue(n), r)
		}
	}()
	if uerr := json.Unmarshal(data, reflect.New(t).Interface()); uerr != nil {
		return c.errorf(n, cpath, "invalid value %s: %s", displayValue(n), cleanJSONError(uerr))
	}
	return nil
}

var yamlErrLineRE = regexp.MustCompile(`^(yaml: )?line \d+: `)

// yamlLeaf checks a leaf of a yaml-tagged struct by decoding it with yaml.v3.
func (c *checker) yamlLeaf(n *yaml.Node, t reflect.Type, cpath string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = c.errorf(n, cpath, "invalid value %s: %v", displayValue(n), r)
		}
	}()
	if derr := n.Decode(reflect.New(t).Interface()); derr != nil {
		msg := derr.Error()
		var te *yaml.TypeError
		if errors.As(derr, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		msg = yamlErrLineRE.ReplaceAllString(msg, "")
		return c.errorf(n, cpath, "invalid value %s: %s", displayValue(n), msg)
	}
	return nil
}

// jsonScalar checks a scalar against a plain Go kind, following what the
// apiserver's strict JSON decoding accepts.
func (c *checker) jsonScalar(n *yaml.Node, t reflect.Type, cpath string) error {
	if n.Kind != yaml.ScalarNode {
		return c.errorf(n, cpath, "expected %s, got %s", kindNoun(t), describeNode(n))
	}
	s, err := resolveScalar(n)
	if err != nil {
		return c.errorf(n, cpath, "invalid value %s: %v", displayValue(n), err)
	}
	bad := func(detail string) error {
		return c.errorf(n, cpath, "invalid value %s: expected %s%s", displayValue(n), kindNoun(t), detail)
	}
	switch t.Kind() {
	case reflect.String:
		if s.kind != scalarString {
			return bad(fmt.Sprintf(" (quote it: \"%s\")", n.Value))
		}
	case reflect.Bool:
		if s.kind != scalarBool {
			return bad("")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if s.kind != scalarNumber {
			return bad("")
		}
		if _, err := strconv.ParseInt(s.text, 10, t.Bits()); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return c.errorf(n, cpath, "invalid value %s: out of range for %s", displayValue(n), t.Kind())
			}
			return bad("")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if s.kind != scalarNumber {
			return bad("")
		}
		if _, err := strconv.ParseUint(s.text, 10, t.Bits()); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return c.errorf(n, cpath, "invalid value %s: out of range for %s", displayValue(n), t.Kind())
			}
			return bad("")
		}
	case reflect.Float32, reflect.Float64:
		if s.kind != scalarNumber {
			return bad("")
		}
		if _, err := strconv.ParseFloat(s.text, t.Bits()); err != nil {
			return c.errorf(n, cpath, "invalid value %s: out of range for %s", displayValue(n), t.Kind())
		}
	default:
		return c.errorf(n, cpath, "cannot decode into a field of Go type %s", t)
	}
	return nil
}

func kindNoun(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// cleanJSONError shortens encoding/json's messages for a user.
func cleanJSONError(err error) string {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fmt.Sprintf("expected %s, got a JSON %s", kindNoun(ute.Type), ute.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// structInfo is the set of fields a struct type accepts under one tag.
type structInfo struct {
	fields    map[string]reflect.Type
	names     []string     // sorted, for suggestions
	inlineMap reflect.Type // yaml ",inline" map that takes any other key
}

type structKey struct {
	t   reflect.Type
	tag string
}

var structInfoCache sync.Map // structKey -> *structInfo

func structFieldsOf(t reflect.Type, tag string) *structInfo {
	key := structKey{t, tag}
	if v, ok := structInfoCache.Load(key); ok {
		return v.(*structInfo)
	}
	info := &structInfo{fields: make(map[string]reflect.Type)}
	depthOf := make(map[string]int)
	var add func(t reflect.Type, depth int)
	add = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tv := f.Tag.Get(tag)
			name, opts, _ := strings.Cut(tv, ",")
			if tv == "-" {
				continue
			}
			inline := false
			for _, o := range strings.Split(opts, ",") {
				if o == "inline" {
					inline = true
				}
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			// encoding/json promotes the fields of an embedded struct without
			// a name; yaml.v3 only those of a field marked ",inline".
			if tag != "yaml" && f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				inline = true
			}
			if inline && name == "" {
				if ft.Kind() == reflect.Struct && depth < 16 {
					add(ft, depth+1)
					continue
				}
				if ft.Kind() == reflect.Map && tag == "yaml" {
					if info.inlineMap == nil {
						info.inlineMap = ft
					}
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
				if tag == "yaml" {
					name = strings.ToLower(f.Name)
				}
			}
			if d, ok := depthOf[name]; ok && d <= depth {
				continue
			}
			depthOf[name] = depth
			info.fields[name] = f.Type
		}
	}
	add(t, 0)
	for n := range info.fields {
		info.names = append(info.names, n)
	}
	sort.Strings(info.names)
	v, _ := structInfoCache.LoadOrStore(key, info)
	return v.(*structInfo)
}

// suggestField returns the known field closest to a misspelt one, if close.
func suggestField(name string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n
		}
		if d := editDistance(name, n, bestD); d < bestD {
			best, bestD = n, d
		}
	}
	if len(name) < 4 && bestD > 1 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or limit if it is at
// least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// ---------------------------------------------------------------------------
// Scalars and the conversion to JSON

type scalarKind uint8

const (
	scalarNull scalarKind = iota
	scalarBool
	scalarNumber
	scalarString
)

// jsonScalarValue is a resolved scalar: text is the JSON number for numbers,
// the value itself for strings.
type jsonScalarValue struct {
	kind scalarKind
	b    bool
	text string
}

var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"false": false, "False": false, "FALSE": false, "off": false, "Off": false, "OFF": false,
}

var yaml11Float = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolveScalar resolves a scalar as sigs.k8s.io/yaml (YAML 1.1 through
// go-yaml v2) does before the value is handed to the apiserver as JSON.
func resolveScalar(n *yaml.Node) (jsonScalarValue, error) {
	str := jsonScalarValue{kind: scalarString, text: n.Value}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return str, nil
	}
	want := ""
	if n.Style&yaml.TaggedStyle != 0 {
		switch tag := n.ShortTag(); tag {
		case "!!str", "!!binary", "!!timestamp":
			return str, nil
		case "!!null":
			return jsonScalarValue{kind: scalarNull}, nil
		case "!!bool", "!!int", "!!float":
			want = tag
		}
	}
	v := n.Value
	switch v {
	case "", "~", "null", "Null", "NULL":
		if want == "" {
			return jsonScalarValue{kind: scalarNull}, nil
		}
	}
	if b, ok := yaml11Bools[v]; ok && (want == "" || want == "!!bool") {
		return jsonScalarValue{kind: scalarBool, b: b}, nil
	}
	if want != "!!bool" && v != "" && strings.ContainsAny(v[:1], "+-.0123456789") {
		plain := strings.ReplaceAll(v, "_", "")
		if want != "!!float" {
			if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
				return jsonScalarValue{kind: scalarNumber, text: strconv.FormatInt(i, 10)}, nil
			}
			if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
				return jsonScalarValue{kind: scalarNumber, text: strconv.FormatUint(u, 10)}, nil
			}
		}
		if want != "!!int" {
			if yaml11Float.MatchString(plain) {
				f, err := strconv.ParseFloat(plain, 64)
				if err != nil {
					return str, fmt.Errorf("number out of range")
				}
				return numberText(f)
			}
			switch v {
			case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
				return str, fmt.Errorf("infinity and NaN cannot be represented in JSON")
			}
		}
	}
	if want != "" {
		return str, fmt.Errorf("not a valid %s", want)
	}
	return str, nil
}

func numberText(f float64) (jsonScalarValue, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return jsonScalarValue{}, fmt.Errorf("infinity and NaN cannot be represented in JSON")
	}
	b, err := json.Marshal(f)
	if err != nil {
		return jsonScalarValue{}, err
	}
	return jsonScalarValue{kind: scalarNumber, text: string(b)}, nil
}

// toJSON converts a node to JSON, resolving scalars as resolveScalar does.
func (c *checker) toJSON(n *yaml.Node, cpath string) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.writeJSON(&buf, n, cpath, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c *checker) writeJSON(buf *bytes.Buffer, n *yaml.Node, cpath string, depth int) error {
	c.nodes++
	if c.nodes > decodeMaxNodes {
		return c.errorf(n, cpath, "document too large (more than %d nodes once aliases are expanded)", decodeMaxNodes)
	}
	if depth > decodeMaxDepth {
		return c.errorf(n, cpath, "nesting deeper than %d levels", decodeMaxDepth)
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		a := derefAlias(n)
		if a == nil {
			return c.errorf(n, cpath, "unresolved alias *%s", n.Value)
		}
		n = a
	}
	switch n.Kind {
	case yaml.MappingNode:
		pairs, err := c.pairs(n, cpath, depth)
		if err != nil {
			return err
		}
		buf.WriteByte('{')
		for i, p := range pairs {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, p.key.Value)
			buf.WriteByte(':')
			if err := c.writeJSON(buf, p.value, cpath+keyPath(p.key.Value), depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := c.writeJSON(buf, item, cpath+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		s, err := resolveScalar(n)
		if err != nil {
			return c.errorf(n, cpath, "invalid value %s: %v", displayValue(n), err)
		}
		switch s.kind {
		case scalarNull:
			buf.WriteString("null")
		case scalarBool:
			buf.WriteString(strconv.FormatBool(s.b))
		case scalarNumber:
			buf.WriteString(s.text)
		default:
			writeJSONString(buf, s.text)
		}
	default:
		return c.errorf(n, cpath, "unexpected YAML node")
	}
	return nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals; invalid UTF-8 becomes U+FFFD
	buf.Write(b)
}

// ---------------------------------------------------------------------------
// yaml.Node helpers

// derefAlias follows alias nodes to the node they name (nil if unresolved).
func derefAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

// isNullNode reports whether n is an (implicit or explicit) null.
func isNullNode(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false
	}
	if n.Style&yaml.TaggedStyle != 0 {
		return n.ShortTag() == "!!null"
	}
	switch n.Value {
	case "", "~", "null", "Null", "NULL":
		return true
	}
	return false
}

// isEmptyNode reports whether n carries no information: null, {} or [].
func isEmptyNode(n *yaml.Node) bool {
	n = derefAlias(n)
	if n == nil || isNullNode(n) {
		return true
	}
	return (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && len(n.Content) == 0
}

// mappingValue returns the value of key in mapping n (nil if absent).
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return displayValue(n)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// displayValue shows a value in a message: scalars as they were written
// (strings quoted), collections by kind.
func displayValue(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "(a mapping)"
	case yaml.SequenceNode:
		return "(a sequence)"
	}
	v := n.Value
	if len(v) > 60 {
		v = v[:57] + "..."
	}
	if s, err := resolveScalar(n); err != nil || s.kind != scalarString {
		return v
	}
	return strconv.Quote(v)
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// keyPath is the concrete path element of a map key.
func keyPath(k string) string {
	if plainKeyRE.MatchString(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// ---------------------------------------------------------------------------
// DecodeObject

// decodedKinds are the kinds kubesim simulates, by "apiVersion kind".
var decodedKinds = map[string]func() runtime.Object{
	"v1 Pod":                                 func() runtime.Object { return &corev1.Pod{} },
	"v1 Node":                                func() runtime.Object { return &corev1.Node{} },
	"v1 Namespace":                           func() runtime.Object { return &corev1.Namespace{} },
	"v1 Service":                             func() runtime.Object { return &corev1.Service{} },
	"v1 PersistentVolume":                    func() runtime.Object { return &corev1.PersistentVolume{} },
	"v1 PersistentVolumeClaim":               func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
	"apps/v1 Deployment":                     func() runtime.Object { return &appsv1.Deployment{} },
	"apps/v1 ReplicaSet":                     func() runtime.Object { return &appsv1.ReplicaSet{} },
	"autoscaling/v2 HorizontalPodAutoscaler": func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"storage.k8s.io/v1 StorageClass":         func() runtime.Object { return &storagev1.StorageClass{} },
	"scheduling.k8s.io/v1 PriorityClass":     func() runtime.Object { return &schedulingv1.PriorityClass{} },
	"policy/v1 PodDisruptionBudget":          func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
	"coordination.k8s.io/v1 Lease":           func() runtime.Object { return &coordinationv1.Lease{} },
}

// clusterScopedKinds are the simulated kinds without a namespace.
var clusterScopedKinds = map[string]bool{
	"Node": true, "Namespace": true, "PersistentVolume": true, "StorageClass": true, "PriorityClass": true,
}

// builtinKinds lists the object kinds of Kubernetes v1.37 by apiVersion:
// those of the client-go v0.37 scheme less the beta versions no longer served,
// plus CRDs and APIServices. A manifest of one of these is valid but not
// simulated: it is skipped with a warning. The kinds of decodedKinds are not
// repeated here.
var builtinKinds = map[string]string{
	"admissionregistration.k8s.io/v1":       "MutatingAdmissionPolicy MutatingAdmissionPolicyBinding MutatingWebhookConfiguration ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding ValidatingWebhookConfiguration",
	"admissionregistration.k8s.io/v1alpha1": "MutatingAdmissionPolicy MutatingAdmissionPolicyBinding ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding",
	"admissionregistration.k8s.io/v1beta1":  "MutatingAdmissionPolicy MutatingAdmissionPolicyBinding ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding",
	"apiextensions.k8s.io/v1":               "CustomResourceDefinition",
	"apiregistration.k8s.io/v1":             "APIService",
	"apps/v1":                               "ControllerRevision DaemonSet StatefulSet",
	"authentication.k8s.io/v1":              "SelfSubjectReview TokenRequest TokenReview",
	"authentication.k8s.io/v1alpha1":        "SelfSubjectReview",
	"authentication.k8s.io/v1beta1":         "SelfSubjectReview",
	"authorization.k8s.io/v1":               "LocalSubjectAccessReview SelfSubjectAccessReview SelfSubjectRulesReview SubjectAccessReview",
	"autoscaling/v1":                        "HorizontalPodAutoscaler Scale",
	"batch/v1":                              "CronJob Job",
	"certificates.k8s.io/v1":                "CertificateSigningRequest ClusterTrustBundle PodCertificateRequest",
	"certificates.k8s.io/v1alpha1":          "ClusterTrustBundle",
	"certificates.k8s.io/v1beta1":           "ClusterTrustBundle PodCertificateRequest",
	"coordination.k8s.io/v1alpha2":          "LeaseCandidate",
	"coordination.k8s.io/v1beta1":           "LeaseCandidate",
	"discovery.k8s.io/v1":                   "EndpointSlice",
	"events.k8s.io/v1":                      "Event",
	"flowcontrol.apiserver.k8s.io/v1":       "FlowSchema PriorityLevelConfiguration",
	"internal.apiserver.k8s.io/v1alpha1":    "StorageVersion",
	"networking.k8s.io/v1":                  "IPAddress Ingress IngressClass NetworkPolicy ServiceCIDR",
	"networking.k8s.io/v1beta1":             "IPAddress ServiceCIDR",
	"node.k8s.io/v1":                        "RuntimeClass",
	"policy/v1":                             "Eviction",
	"rbac.authorization.k8s.io/v1":          "ClusterRole ClusterRoleBinding Role RoleBinding",
	"resource.k8s.io/v1":                    "DeviceClass DeviceTaintRule ResourceClaim ResourceClaimTemplate ResourceSlice",
	"resource.k8s.io/v1alpha3":              "DeviceTaintRule ResourcePoolStatusRequest",
	"resource.k8s.io/v1beta1":               "DeviceClass ResourceClaim ResourceClaimTemplate ResourceSlice",
	"resource.k8s.io/v1beta2":               "DeviceClass DeviceTaintRule ResourceClaim ResourceClaimTemplate ResourceSlice",
	"scheduling.k8s.io/v1alpha3":            "CompositePodGroup PodGroup Workload",
	"scheduling.k8s.io/v1beta1":             "PodGroup Workload",
	"storage.k8s.io/v1":                     "CSIDriver CSINode CSIStorageCapacity VolumeAttachment VolumeAttributesClass",
	"storage.k8s.io/v1alpha1":               "VolumeAttributesClass",
	"storage.k8s.io/v1beta1":                "VolumeAttributesClass",
	"storagemigration.k8s.io/v1":            "StorageVersionMigration",
	"storagemigration.k8s.io/v1beta1":       "StorageVersionMigration",
	"v1":                                    "Binding ComponentStatus ConfigMap Endpoints Event LimitRange PodTemplate ReplicationController ResourceQuota Secret ServiceAccount",
}

func isBuiltinKind(apiVersion, kind string) bool {
	for _, k := range strings.Fields(builtinKinds[apiVersion]) {
		if k == kind {
			return true
		}
	}
	return false
}

// DecodeObject strictly decodes one document into its k8s.io/api object
// (*corev1.Pod, *appsv1.Deployment …, see decodedKinds), with TypeMeta set.
// A real Kubernetes kind that kubesim does not simulate returns (nil, nil)
// and a warning; any other unknown apiVersion and kind is an error. Every
// field present that simulatedFields does not cover gives a warning, once per
// kind and field path in w. Errors are *FieldError.
func DecodeObject(doc Document, w *Warnings) (obj runtime.Object, err error) {
	defer recoverDecodePanic(doc.File, doc.Line, &err)
	if doc.Node == nil {
		return nil, &FieldError{File: doc.File, Line: doc.Line, Msg: "empty document"}
	}
	root := derefAlias(doc.Node)
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	newObj, ok := decodedKinds[doc.APIVersion+" "+doc.Kind]
	if !ok {
		return nil, unsupportedKind(doc, root, w)
	}
	gv, err := schema.ParseGroupVersion(doc.APIVersion)
	if err != nil {
		return nil, &FieldError{File: doc.File, Line: doc.Line, Path: "apiVersion", Msg: err.Error()}
	}
	var present []presentField
	c := &checker{file: doc.File, tag: "json", visit: func(path string, key, value *yaml.Node) {
		present = append(present, presentField{path, key.Line, isEmptyNode(value)})
	}}
	obj = newObj()
	if err := c.check(root, reflect.TypeOf(obj).Elem()); err != nil {
		return nil, err
	}
	c.nodes = 0
	data, err := c.toJSON(root, "")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, &FieldError{File: doc.File, Line: doc.Line,
			Msg: fmt.Sprintf("%s %s: %s", doc.Kind, doc.Name, cleanJSONError(err))}
	}
	obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(doc.Kind))
	if w != nil {
		warnUnsimulated(doc, root, present, w)
	}
	return obj, nil
}

type presentField struct {
	path  string
	line  int
	empty bool
}

// warnUnsimulated warns about the fields kubesim does not simulate: only the
// outermost such field, and not for empty values ({}, [], null), which carry
// nothing to ignore.
func warnUnsimulated(doc Document, root *yaml.Node, present []presentField, w *Warnings) {
	ident := ""
	for _, f := range present {
		if f.empty || isSimulatedField(doc.Kind, f.path) || !isSimulatedField(doc.Kind, parentPath(f.path)) {
			continue
		}
		if ident == "" {
			ident = objectIdent(doc, root)
		}
		w.Add("field\x00"+doc.Kind+"\x00"+f.path,
			fmt.Sprintf("%s:%d: %s: field %s is not simulated; ignored", doc.File, f.line, ident, f.path))
	}
}

// objectIdent names an object in a message: "Deployment default/web".
func objectIdent(doc Document, root *yaml.Node) string {
	name := doc.Name
	md := derefAlias(mappingValue(root, "metadata"))
	if name == "" {
		if v := derefAlias(mappingValue(md, "generateName")); v != nil && v.Kind == yaml.ScalarNode {
			name = v.Value + "*"
		}
	}
	if name == "" {
		name = "(unnamed)"
	}
	if clusterScopedKinds[doc.Kind] {
		return doc.Kind + " " + name
	}
	ns := "default"
	if v := derefAlias(mappingValue(md, "namespace")); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
		ns = v.Value
	}
	return doc.Kind + " " + ns + "/" + name
}

// parentPath is the path of the struct field holding the field at path.
func parentPath(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return ""
	}
	p := path[:i]
	for strings.HasSuffix(p, "[]") {
		p = strings.TrimSuffix(p, "[]")
	}
	return p
}

// unsupportedKind handles a document whose apiVersion and kind kubesim does
// not decode: a warning for a real kind, an error otherwise.
func unsupportedKind(doc Document, root *yaml.Node, w *Warnings) error {
	pos := func() (int, int) {
		if k := mappingValue(root, "kind"); k != nil {
			return k.Line, k.Column
		}
		return doc.Line, 0
	}
	if isBuiltinKind(doc.APIVersion, doc.Kind) {
		msg := fmt.Sprintf("%s:%d: kind %s %s is not simulated; skipped", doc.File, doc.Line, doc.APIVersion, doc.Kind)
		if doc.APIVersion == "autoscaling/v1" && doc.Kind == "HorizontalPodAutoscaler" {
			msg += " (kubesim simulates autoscaling/v2)"
		}
		w.Add("kind\x00"+doc.APIVersion+"\x00"+doc.Kind, msg)
		return nil
	}
	line, col := pos()
	// A simulated kind under an apiVersion that Kubernetes v1.37 no longer
	// serves, or a kind under the wrong group.
	var versions []string
	for key := range decodedKinds {
		if av, k, _ := strings.Cut(key, " "); k == doc.Kind {
			versions = append(versions, av)
		}
	}
	for av, ks := range builtinKinds {
		for _, k := range strings.Fields(ks) {
			if k == doc.Kind {
				versions = append(versions, av)
			}
		}
	}
	sort.Strings(versions)
	if len(versions) > 0 {
		return &FieldError{File: doc.File, Line: line, Column: col, Path: "apiVersion",
			Msg: fmt.Sprintf("kind %s is not served as %s by Kubernetes v1.37; use apiVersion %s",
				doc.Kind, doc.APIVersion, strings.Join(versions, " or "))}
	}
	msg := fmt.Sprintf("unknown kind %s %s (kubesim reads built-in Kubernetes kinds only)", doc.APIVersion, doc.Kind)
	var kindsOfVersion []string
	for key := range decodedKinds {
		if av, k, _ := strings.Cut(key, " "); av == doc.APIVersion {
			kindsOfVersion = append(kindsOfVersion, k)
		}
	}
	kindsOfVersion = append(kindsOfVersion, strings.Fields(builtinKinds[doc.APIVersion])...)
	sort.Strings(kindsOfVersion)
	if s := suggestField(doc.Kind, kindsOfVersion); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return &FieldError{File: doc.File, Line: line, Column: col, Path: "kind", Msg: msg}
}
