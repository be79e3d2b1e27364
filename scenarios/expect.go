package scenarios

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report"
)

// condition is a parsed `kubectl wait` target and --for clause:
// "deployment/web condition=Available", "pods -l app=web condition=Ready",
// "deployment/web jsonpath={.status.availableReplicas}=3", "pod/x delete".
type condition struct {
	kind     api.Kind
	name     string          // one object, or
	selector labels.Selector // all objects matching (at least one)
	// exactly one of:
	condType, condStatus string // condition=Type[=Status], status default "True"
	path                 *jsonpath.JSONPath
	pathText, value      string
	op                   string // "=", or a numeric comparison: "!=", "<", "<=", ">", ">="
	deleted, created     bool
}

func parseObjectRef(s string) (api.Kind, string, error) {
	res, name, ok := strings.Cut(s, "/")
	if !ok || name == "" {
		return 0, "", fmt.Errorf("%q: want KIND/NAME such as deployment/web", s)
	}
	k, ok := api.KindOf(res)
	if !ok {
		return 0, "", fmt.Errorf("%q: unknown kind %q", s, res)
	}
	return k, name, nil
}

func parseSelector(s string) (labels.Selector, error) {
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", s, err)
	}
	return sel, nil
}

func parseCondition(s string) (condition, error) {
	var c condition
	f := strings.Fields(s)
	switch {
	case len(f) == 2 && strings.Contains(f[0], "/"):
		k, name, err := parseObjectRef(f[0])
		if err != nil {
			return c, err
		}
		c.kind, c.name = k, name
	case len(f) == 4 && f[1] == "-l":
		k, ok := api.KindOf(f[0])
		if !ok {
			return c, fmt.Errorf("unknown kind %q", f[0])
		}
		sel, err := parseSelector(f[2])
		if err != nil {
			return c, err
		}
		c.kind, c.selector = k, sel
	default:
		return c, fmt.Errorf("%q: want \"KIND/NAME CONDITION\" or \"KIND -l SELECTOR CONDITION\" where CONDITION is condition=TYPE[=STATUS], jsonpath={PATH}=VALUE, delete or create", s)
	}
	clause := f[len(f)-1]
	switch {
	case clause == "delete":
		c.deleted = true
	case clause == "create":
		c.created = true
	case strings.HasPrefix(clause, "condition="):
		t, st, ok := strings.Cut(strings.TrimPrefix(clause, "condition="), "=")
		if !ok {
			st = "True"
		}
		if t == "" {
			return c, fmt.Errorf("%q: empty condition type", clause)
		}
		c.condType, c.condStatus = t, st
	case strings.HasPrefix(clause, "jsonpath="):
		expr := strings.TrimPrefix(clause, "jsonpath=")
		end := strings.LastIndex(expr, "}")
		if !strings.HasPrefix(expr, "{") || end < 0 {
			return c, fmt.Errorf("%q: want jsonpath={.PATH}=VALUE", clause)
		}
		rest := expr[end+1:]
		for _, op := range []string{"<=", ">=", "!=", "=", "<", ">"} {
			if strings.HasPrefix(rest, op) {
				c.op, c.value = op, rest[len(op):]
				break
			}
		}
		if c.op == "" {
			return c, fmt.Errorf("%q: want jsonpath={.PATH}=VALUE, or a comparison (<, <=, >, >=, !=) with a number", clause)
		}
		if _, err := strconv.ParseFloat(c.value, 64); c.op != "=" && c.op != "!=" && err != nil {
			return c, fmt.Errorf("%q: %s compares numbers; %q is not one", clause, c.op, c.value)
		}
		jp := jsonpath.New("expect")
		// A status count at zero is omitted from the object: for numbers,
		// a missing field reads as empty, and compare takes it as 0.
		jp.AllowMissingKeys(c.op != "=")
		if err := jp.Parse(expr[:end+1]); err != nil {
			return c, fmt.Errorf("%q: %v", clause, err)
		}
		c.path, c.pathText = jp, expr[:end+1]
	default:
		return c, fmt.Errorf("%q: unknown condition; want condition=, jsonpath=, delete or create", clause)
	}
	return c, nil
}

// eval reports whether the condition holds now, with a detail for the report.
func (c *condition) eval(s *cluster.Store, namespace string, r *report.Run) (bool, string) {
	if !c.kind.Namespaced() {
		namespace = ""
	}
	var objs []api.Object
	if c.selector != nil {
		s.List(c.kind, namespace, func(o api.Object) bool {
			if c.selector.Matches(o.Meta().Labels) {
				objs = append(objs, o)
			}
			return true
		})
	} else if o := s.Get(c.kind, namespace, c.name); o != nil {
		objs = append(objs, o)
	}
	switch {
	case c.deleted:
		if len(objs) == 0 {
			return true, "deleted"
		}
		return false, fmt.Sprintf("%d object(s) still exist", len(objs))
	case len(objs) == 0:
		return false, "not found"
	case c.created:
		return true, "exists"
	}
	for _, o := range objs {
		ok, detail := c.evalObject(o, r)
		if !ok {
			if len(objs) > 1 {
				detail = fmt.Sprintf("%s: %s", o.Meta().Name, detail)
			}
			return false, detail
		}
	}
	if c.condType != "" {
		return true, fmt.Sprintf("condition %s=%s", c.condType, c.condStatus)
	}
	return true, fmt.Sprintf("%s%s%s", c.pathText, c.op, c.value)
}

func (c *condition) evalObject(o api.Object, r *report.Run) (bool, string) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(report.APIObject(o, r.Epoch))
	if err != nil {
		return false, err.Error()
	}
	if c.condType != "" {
		st, _ := u["status"].(map[string]any)
		conds, _ := st["conditions"].([]any)
		for _, ci := range conds {
			cm, _ := ci.(map[string]any)
			if t, _ := cm["type"].(string); strings.EqualFold(t, c.condType) {
				got, _ := cm["status"].(string)
				return strings.EqualFold(got, c.condStatus), fmt.Sprintf("condition %s is %s", t, got)
			}
		}
		return false, fmt.Sprintf("no condition %s", c.condType)
	}
	var buf bytes.Buffer
	if err := c.path.Execute(&buf, u); err != nil {
		return false, err.Error()
	}
	got := buf.String()
	return compare(got, c.op, c.value), fmt.Sprintf("%s is %q", c.pathText, got)
}

// compare applies op: "=" compares strings, as kubectl wait does; the
// others compare numbers (a kubesim extension), and fail on a non-number,
// except "!=" with a value that is not a number, which compares strings.
func compare(got, op, want string) bool {
	if op == "=" {
		return got == want
	}
	if _, err := strconv.ParseFloat(want, 64); op == "!=" && err != nil {
		return got != want
	}
	g, err := strconv.ParseFloat(got, 64)
	if got == "" {
		g, err = 0, nil // an omitted status count is zero
	}
	w, _ := strconv.ParseFloat(want, 64)
	if err != nil {
		return false
	}
	switch op {
	case "!=":
		return g != w
	case "<":
		return g < w
	case "<=":
		return g <= w
	case ">":
		return g > w
	}
	return g >= w
}
