package nodeaffinity

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/api"
)

// The compiled forms of node selector terms
// (k8s.io/component-helpers/scheduling/corev1/nodeaffinity nodeaffinity.go):
// parsed and validated once, then matched against a node's labels and name
// without allocating.

type op uint8

const (
	opIn op = iota
	opNotIn
	opExists
	opDoesNotExist
	opGt
	opLt
)

// requirement is one match expression, as a labels.Requirement matches it
// (apimachinery labels/selector.go Requirement.Matches); Gt and Lt have
// their one value parsed.
type requirement struct {
	key    string
	op     op
	values []string
	num    int64
}

func (r *requirement) matches(ls map[string]string) bool {
	v, ok := ls[r.key]
	switch r.op {
	case opIn:
		return ok && slices.Contains(r.values, v)
	case opNotIn:
		return !ok || !slices.Contains(r.values, v)
	case opExists:
		return ok
	case opDoesNotExist:
		return !ok
	case opGt, opLt:
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		return (r.op == opGt && n > r.num) || (r.op == opLt && n < r.num)
	}
	return false
}

// fieldRequirement is one match field: a node has the one field
// metadata.name (nodeaffinity.go extractNodeFields), so any other key reads
// as "" (fields.Set.Get).
type fieldRequirement struct {
	key, value string
	notEqual   bool
}

// term is one node selector term: its expressions and fields are ANDed
// (nodeaffinity.go nodeSelectorTerm).
type term struct {
	exprs     []requirement
	hasExprs  bool
	fields    []fieldRequirement
	hasFields bool
	// errs are the term's parse errors; a term with errors matches nothing.
	errs []error
}

// match is nodeaffinity.go nodeSelectorTerm.match. Match fields are ignored
// on a node without a name, as upstream's empty field set skips them.
func (t *term) match(n *api.Node) (bool, []error) {
	if len(t.errs) > 0 {
		return false, t.errs
	}
	if t.hasExprs {
		for i := range t.exprs {
			if !t.exprs[i].matches(n.Labels) {
				return false, nil
			}
		}
	}
	if t.hasFields && n.Name != "" {
		for i := range t.fields {
			f := &t.fields[i]
			v := ""
			if f.key == metav1.ObjectNameField {
				v = n.Name
			}
			if (v == f.value) == f.notEqual {
				return false, nil
			}
		}
	}
	return true, nil
}

var validSelectorOperators = []corev1.NodeSelectorOperator{
	corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists,
	corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt,
}

var validFieldSelectorOperators = []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn}

// compileTerm is nodeaffinity.go newNodeSelectorTerm with
// nodeSelectorRequirementsAsSelector and
// nodeSelectorRequirementsAsFieldSelector: labels.NewRequirement validates
// each expression (key and values syntax, value counts, integers for Gt and
// Lt) and gives upstream's error texts.
func compileTerm(t *corev1.NodeSelectorTerm, path *field.Path) term {
	var out term
	if len(t.MatchExpressions) != 0 {
		out.hasExprs = true
		p := path.Child("matchExpressions")
		var errs []error
		for i, expr := range t.MatchExpressions {
			ep := p.Index(i)
			var lop selection.Operator
			var o op
			switch expr.Operator {
			case corev1.NodeSelectorOpIn:
				lop, o = selection.In, opIn
			case corev1.NodeSelectorOpNotIn:
				lop, o = selection.NotIn, opNotIn
			case corev1.NodeSelectorOpExists:
				lop, o = selection.Exists, opExists
			case corev1.NodeSelectorOpDoesNotExist:
				lop, o = selection.DoesNotExist, opDoesNotExist
			case corev1.NodeSelectorOpGt:
				lop, o = selection.GreaterThan, opGt
			case corev1.NodeSelectorOpLt:
				lop, o = selection.LessThan, opLt
			default:
				errs = append(errs, field.NotSupported(ep.Child("operator"), expr.Operator, validSelectorOperators))
				continue
			}
			if _, err := labels.NewRequirement(expr.Key, lop, expr.Values, field.WithPath(ep)); err != nil {
				errs = append(errs, err)
				continue
			}
			r := requirement{key: expr.Key, op: o, values: slices.Clone(expr.Values)}
			if o == opGt || o == opLt {
				r.num, _ = strconv.ParseInt(expr.Values[0], 10, 64) // validated above
			}
			out.exprs = append(out.exprs, r)
		}
		if len(errs) != 0 {
			out.exprs = nil
			out.errs = append(out.errs, errs...)
		}
	}
	if len(t.MatchFields) != 0 {
		out.hasFields = true
		p := path.Child("matchFields")
		var errs []error
		for i, expr := range t.MatchFields {
			fp := p.Index(i)
			switch expr.Operator {
			case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
				if len(expr.Values) != 1 {
					errs = append(errs, field.Invalid(fp.Child("values"), expr.Values, "must have one element"))
					continue
				}
				out.fields = append(out.fields, fieldRequirement{key: expr.Key, value: expr.Values[0],
					notEqual: expr.Operator == corev1.NodeSelectorOpNotIn})
			default:
				errs = append(errs, field.NotSupported(fp.Child("operator"), expr.Operator, validFieldSelectorOperators))
			}
		}
		if len(errs) != 0 {
			out.fields = nil
			out.errs = append(out.errs, errs...)
		}
	}
	return out
}

func isEmptyTerm(t *corev1.NodeSelectorTerm) bool {
	return len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0
}

// nodeSelector is a required node selector: its terms are ORed; empty terms
// are dropped, as they match nothing (nodeaffinity.go
// LazyErrorNodeSelector).
type nodeSelector struct {
	terms []term
}

func compileNodeSelector(ns *corev1.NodeSelector, path *field.Path) *nodeSelector {
	out := &nodeSelector{terms: make([]term, 0, len(ns.NodeSelectorTerms))}
	p := path.Child("nodeSelectorTerms")
	for i := range ns.NodeSelectorTerms {
		t := &ns.NodeSelectorTerms[i]
		if isEmptyTerm(t) {
			continue
		}
		out.terms = append(out.terms, compileTerm(t, p.Index(i)))
	}
	return out
}

// parseError is the aggregate of every term's parse errors
// (nodeaffinity.go NewNodeSelector), or nil.
func (s *nodeSelector) parseError() error {
	var errs []error
	for i := range s.terms {
		errs = append(errs, s.terms[i].errs...)
	}
	return flatten(errs)
}

// match is LazyErrorNodeSelector.Match: true on the first matching term;
// the parse errors only when no term matched.
func (s *nodeSelector) match(n *api.Node) (bool, error) {
	var errs []error
	for i := range s.terms {
		ok, terrs := s.terms[i].match(n)
		if len(terrs) > 0 {
			errs = append(errs, terrs...)
			continue
		}
		if ok {
			return true, nil
		}
	}
	return false, flatten(errs)
}

// matches is NodeSelector.Match: match ignoring parse errors, without
// allocating.
func (s *nodeSelector) matches(n *api.Node) bool {
	for i := range s.terms {
		if ok, _ := s.terms[i].match(n); ok {
			return true
		}
	}
	return false
}

// preferredTerm is a preferred scheduling term with its weight.
type preferredTerm struct {
	term
	weight int64
}

// compilePreferred is nodeaffinity.go NewPreferredSchedulingTerms: terms
// of weight 0 and empty terms are dropped; any parse error fails the lot.
func compilePreferred(terms []corev1.PreferredSchedulingTerm, path *field.Path) ([]preferredTerm, error) {
	var errs []error
	out := make([]preferredTerm, 0, len(terms))
	for i := range terms {
		t := &terms[i]
		if t.Weight == 0 || isEmptyTerm(&t.Preference) {
			continue
		}
		pt := preferredTerm{term: compileTerm(&t.Preference, path.Index(i)), weight: int64(t.Weight)}
		if len(pt.errs) > 0 {
			errs = append(errs, pt.errs...)
			continue
		}
		out = append(out, pt)
	}
	if err := flatten(errs); err != nil {
		return nil, err
	}
	return out, nil
}

// scorePreferred is PreferredSchedulingTerms.Score: the sum of the weights
// of the matching terms.
func scorePreferred(terms []preferredTerm, n *api.Node) int64 {
	var score int64
	for i := range terms {
		if ok, _ := terms[i].match(n); ok {
			score += terms[i].weight
		}
	}
	return score
}

// flatten is errors.Flatten(errors.NewAggregate(errs)), nil for none.
func flatten(errs []error) error {
	if agg := utilerrors.Flatten(utilerrors.NewAggregate(errs)); agg != nil {
		return agg
	}
	return nil
}
