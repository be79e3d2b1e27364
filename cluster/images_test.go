package cluster

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubesim/kubesim/api"
)

func TestImageBehaviorDecode(t *testing.T) {
	tests := []struct {
		in   string
		want ImageBehavior
		err  string
	}{
		{`{"pullError": "manifest unknown"}`, ImageBehavior{PullError: "manifest unknown"}, ""},
		{`{"exitAfter": "5s", "exitCode": 1}`, ImageBehavior{ExitAfter: &Delay{Median: 5 * time.Second}, ExitCode: 1}, ""},
		{`{"exitAfter": {"median": "2m", "p99": "10m"}}`, ImageBehavior{ExitAfter: &Delay{Median: 2 * time.Minute, P99: 10 * time.Minute}}, ""},
		{`{"livenessFailAfter": "3m", "readinessFlapPeriod": "30s"}`, ImageBehavior{LivenessFailAfter: 3 * time.Minute, ReadinessFlapPeriod: 30 * time.Second}, ""},
		{`{"sizeBytes": "180Mi"}`, ImageBehavior{SizeBytes: 180 << 20}, ""},
		{`{"sizeBytes": 1000}`, ImageBehavior{SizeBytes: 1000}, ""},
		{`{}`, ImageBehavior{}, ""},
		{`{"pullErr": "x"}`, ImageBehavior{}, `unknown field "pullErr"`},
		{`{"exitAfter": "5x"}`, ImageBehavior{}, `exitAfter: want a duration ("5s") or {median, p99}`},
		{`{"exitAfter": {"median": "1s", "mean": "2s"}}`, ImageBehavior{}, `exitAfter: unknown field "mean"`},
		{`{"exitAfter": {"median": "5s", "p99": "1s"}}`, ImageBehavior{}, "exitAfter: p99 1s is below the median 5s"},
		{`{"exitCode": 1}`, ImageBehavior{}, "exitCode: needs exitAfter"},
		{`{"exitAfter": "1s", "exitCode": 300}`, ImageBehavior{}, "exitCode: 300 is not in 0-255"},
		{`{"livenessFailAfter": 30}`, ImageBehavior{}, `livenessFailAfter: want a duration such as "30s"`},
		{`{"sizeBytes": "big"}`, ImageBehavior{}, `sizeBytes: invalid quantity "big"`},
		{`"nginx"`, ImageBehavior{}, "want a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var b ImageBehavior
			err := json.Unmarshal([]byte(tc.in), &b)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := mustJSON(t, b), mustJSON(t, tc.want); got != want {
				t.Errorf("decoded %s, want %s", got, want)
			}
			// MarshalJSON writes what UnmarshalJSON reads.
			var again ImageBehavior
			if err := json.Unmarshal([]byte(mustJSON(t, b)), &again); err != nil || mustJSON(t, again) != mustJSON(t, b) {
				t.Errorf("round trip %s: %v", mustJSON(t, again), err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The scenario loader decodes with api.DecodeInto (json tags, strict); a
// bad entry is reported at its line.
func TestImageCatalogInScenario(t *testing.T) {
	const doc = `images:
  "nginx:bad": {pullError: "manifest unknown"}
  "crashy:1": {exitAfter: 5s, exitCode: 1}
  "big:1":
    sizeBytes: 1Gi
`
	var spec struct {
		Images ImageCatalog `json:"images"`
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	if err := api.DecodeInto("s.yaml", &n, &spec); err != nil {
		t.Fatal(err)
	}
	if err := spec.Images.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, spec.Images); got != `{"big:1":{"sizeBytes":1073741824},"crashy:1":{"exitAfter":"5s","exitCode":1},"nginx:bad":{"pullError":"manifest unknown"}}` {
		t.Errorf("catalog %s", got)
	}
	if b := spec.Images.Lookup("nginx:1.27"); b != (ImageBehavior{}) {
		t.Errorf("unlisted image %+v", b)
	}
	bad := strings.Replace(doc, "exitCode: 1}", "exitCode: 1, crash: true}", 1)
	if err := yaml.Unmarshal([]byte(bad), &n); err != nil {
		t.Fatal(err)
	}
	err := api.DecodeInto("s.yaml", &n, &spec)
	if err == nil || !strings.Contains(err.Error(), "s.yaml:3") || !strings.Contains(err.Error(), `unknown field "crash"`) {
		t.Errorf("error %v", err)
	}
	// yaml.v3 decodes the same shape.
	var direct ImageCatalog
	if err := yaml.Unmarshal([]byte(strings.TrimPrefix(strings.ReplaceAll(doc, "\n  ", "\n"), "images:\n")), &direct); err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, direct) != mustJSON(t, spec.Images) {
		t.Errorf("yaml.v3 decoded %s", mustJSON(t, direct))
	}
}

func TestImageCatalogValidate(t *testing.T) {
	c := ImageCatalog{"a": {}, "b": {SizeBytes: -1}, "c": {LivenessFailAfter: -time.Second}}
	if err := c.Validate(); err == nil || err.Error() != "images[b]: sizeBytes: must not be negative" {
		t.Errorf("Validate = %v", err)
	}
}
