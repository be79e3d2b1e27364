package scenarios

import (
	"embed"
	"io/fs"
	"strings"
)

// Library is the scenario library, embedded so the binary runs anywhere:
// the scenarios at the top, and the manifests their timelines apply in
// manifests/.
//
//go:embed *.yaml manifests/*.yaml
var Library embed.FS

// DefaultScenario is the file `kubesim run` runs without an argument.
const DefaultScenario = "self-healing.yaml"

// LibraryFiles lists the library's scenario files in name order.
func LibraryFiles() []string {
	entries, _ := fs.ReadDir(Library, ".") // the embedded root always reads
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, e.Name())
		}
	}
	return names
}
