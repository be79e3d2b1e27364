package scenarios

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeLine finds the line of a field path such as "spec.timeline[2].scale"
// in a document, so that a validation error points at the field; it falls
// back to the nearest ancestor found, then to def.
func nodeLine(root *yaml.Node, path string, def int) int {
	if root == nil {
		return def
	}
	line, n := def, root
	for _, part := range strings.Split(path, ".") {
		name, index := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			name = part[:i]
			index, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		next := mappingValue(n, name)
		if next == nil {
			return line
		}
		line, n = next.Line, next
		if index >= 0 {
			if n.Kind != yaml.SequenceNode || index >= len(n.Content) {
				return line
			}
			n = n.Content[index]
			line = n.Line
		}
	}
	return line
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			// Point at the key: that is where a reader looks.
			v := *n.Content[i+1]
			v.Line = n.Content[i].Line
			return &v
		}
	}
	return nil
}
