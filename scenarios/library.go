package scenarios

import "embed"

// Library is the scenario library, embedded so the binary runs anywhere.
//
//go:embed *.yaml
var Library embed.FS

// DefaultScenario is the file `kubesim run` runs without an argument.
const DefaultScenario = "self-healing.yaml"
