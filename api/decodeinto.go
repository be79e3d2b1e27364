package api

import (
	"encoding/json"
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// DecodeInto strictly decodes a YAML mapping into v, a pointer to a struct
// with json tags, with the same checks as DecodeObject: an unknown field or
// an invalid value is a *FieldError naming file, line and field. Scenario
// documents use it: yaml.v3's Node.Decode would ignore KnownFields.
func DecodeInto(file string, node *yaml.Node, v any) (err error) {
	if node == nil {
		return &FieldError{File: file, Line: 1, Msg: "empty document"}
	}
	defer recoverDecodePanic(file, node.Line, &err)
	root := derefAlias(node)
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	c := &checker{file: file, tag: "json", visit: func(string, *yaml.Node, *yaml.Node) {}}
	if err := c.check(root, reflect.TypeOf(v).Elem()); err != nil {
		return err
	}
	c.nodes = 0
	data, err := c.toJSON(root, "")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &FieldError{File: file, Line: root.Line, Msg: fmt.Sprintf("invalid value: %s", cleanJSONError(err))}
	}
	return nil
}
