package imagelocality

import (
	"errors"
	"strings"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Name is the plugin's name in profiles and messages.
const Name = "ImageLocality"

// The score's bounds on the summed image sizes (image_locality.go): below
// minThreshold a node scores 0, at maxContainerThreshold per image 100.
const (
	mb                    int64 = 1024 * 1024
	minThreshold          int64 = 23 * mb
	maxContainerThreshold int64 = 1000 * mb
)

const preScoreStateKey framework.StateKey = "PreScore" + Name

// ImageLocality is the plugin.
type ImageLocality struct {
	h       framework.Handle
	specs   specCache
	counter imageCounter
	// lastState and lastSpec remember the CycleState and pod spec PreScore
	// last wrote for, so Score skips the CycleState lookup on every node.
	lastState *framework.CycleState
	lastSpec  *api.PodSpec
	last      *preScoreState
}

var (
	_ framework.PreScorePlugin = (*ImageLocality)(nil)
	_ framework.ScorePlugin    = (*ImageLocality)(nil)
)

// New builds the plugin; it takes no args and needs the handle for the
// snapshot's nodes.
func New(args any, h framework.Handle) (framework.Plugin, error) {
	if err := framework.NoArgs(Name, args); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("plugin ImageLocality needs a framework handle")
	}
	pl := &ImageLocality{h: h}
	pl.counter.journal = framework.JournalOf(h)
	return pl, nil
}

// Name returns the plugin's name.
func (pl *ImageLocality) Name() string { return Name }

// normalizedImageName is image_locality.go normalizedImageName: a name
// without a tag gets ":latest". Upstream does not add a registry or
// "library/" prefix, so "nginx" and "docker.io/library/nginx:latest" are
// different images here as there.
func normalizedImageName(name string) string {
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		name += ":latest"
	}
	return name
}

// podImages is what the plugin needs from one pod spec.
type podImages struct {
	// names are the normalized images of the init containers, then the
	// containers, then the image volumes, in upstream's order
	// (sumImageScores); duplicates are kept, each counts.
	names []string
	// imageCount is the number of image sources (the denominator of the
	// max threshold).
	imageCount int
	// state is the PreScore state last computed for the spec, reused by
	// the next cycle of a pod with it (a state is valid for its own cycle
	// only, see preScoreState).
	state *preScoreState
}

func imagesOf(spec *api.PodSpec) *podImages {
	out := &podImages{}
	for _, c := range spec.InitContainers {
		out.names = append(out.names, normalizedImageName(c.Image))
	}
	for _, c := range spec.Containers {
		out.names = append(out.names, normalizedImageName(c.Image))
	}
	if src := spec.Source; src != nil {
		for i := range src.Volumes {
			if img := src.Volumes[i].Image; img != nil {
				out.names = append(out.names, normalizedImageName(img.Reference))
			}
		}
	}
	out.imageCount = len(out.names)
	return out
}

// specCache computes each pod spec's images once.
type specCache struct {
	lastSpec *api.PodSpec
	last     *podImages
	m        map[*api.PodSpec]*podImages
}

const maxCachedSpecs = 4096

var noImages = &podImages{}

func (c *specCache) get(spec *api.PodSpec) *podImages {
	if spec == nil {
		return noImages
	}
	if spec == c.lastSpec {
		return c.last
	}
	pi, ok := c.m[spec]
	if !ok {
		pi = imagesOf(spec)
		if c.m == nil || len(c.m) >= maxCachedSpecs {
			c.m = make(map[*api.PodSpec]*podImages)
		}
		c.m[spec] = pi
	}
	c.lastSpec, c.last = spec, pi
	return pi
}

// preScoreState holds, per image source of the pod, how many nodes of the
// snapshot hold the image and its size on each node (by snapshot
// position). The size slices belong to the plugin's imageCounter and change
// in later cycles: the state is valid for its own cycle only, which is all
// Score needs.
type preScoreState struct {
	totalNumNodes int
	imageCount    int
	names         []string
	numNodes      []int
	sizes         [][]int64
	// anyOnNodes: some image is on some node; otherwise every node scores 0.
	anyOnNodes bool
}

// Clone returns the state itself: it does not change within a cycle.
func (s *preScoreState) Clone() framework.StateData { return s }

// PreScore finds, over every node of the snapshot (not only the feasible
// ones), the nodes holding each of the pod's images: upstream reads the
// counts off the scheduler cache's image summaries (ImageStateSummary
// NumNodes).
func (pl *ImageLocality) PreScore(state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	s := pl.compute(pod)
	state.Write(preScoreStateKey, s)
	pl.lastState, pl.lastSpec, pl.last = state, pod.Spec, s
	return nil
}

func (pl *ImageLocality) compute(pod *api.Pod) *preScoreState {
	imgs := pl.specs.get(pod.Spec)
	list := pl.h.NodeInfos()
	s := imgs.state
	if s == nil || imgs == noImages {
		s = &preScoreState{imageCount: imgs.imageCount, names: imgs.names}
		if len(imgs.names) > 0 {
			s.numNodes = make([]int, len(imgs.names))
			s.sizes = make([][]int64, len(imgs.names))
		}
		if imgs != noImages {
			imgs.state = s
		}
	}
	s.totalNumNodes, s.anyOnNodes = len(list), false
	if len(imgs.names) == 0 {
		return s
	}
	pl.counter.sync(list)
	for i, name := range imgs.names {
		// track may start the tracked set over; that drops slices from the
		// counter but never changes one, so earlier ones stay right.
		s.numNodes[i], s.sizes[i] = pl.counter.track(name)
		s.anyOnNodes = s.anyOnNodes || s.numNodes[i] > 0
	}
	return s
}

func (pl *ImageLocality) preScoreState(state *framework.CycleState, pod *api.Pod) *preScoreState {
	if state != nil && state == pl.lastState && pod.Spec == pl.lastSpec {
		return pl.last
	}
	if state != nil {
		if d, err := state.Read(preScoreStateKey); err == nil {
			if s, ok := d.(*preScoreState); ok {
				pl.lastState, pl.lastSpec, pl.last = state, pod.Spec, s
				return s
			}
		}
	}
	// Upstream has no PreScore: Score works without it.
	return pl.compute(pod)
}

// Score is image_locality.go Score: the sizes of the pod's images already on
// the node, each scaled by the share of nodes holding it, clamped and
// mapped onto [0, 100].
func (pl *ImageLocality) Score(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s := pl.preScoreState(state, pod)
	var sum int64
	if s.anyOnNodes {
		node := ni.Node()
		p := pl.counter.position(ni)
		for i, name := range s.names {
			n := s.numNodes[i]
			if n == 0 {
				continue
			}
			var size int64
			var ok bool
			if p >= 0 && p < len(s.sizes[i]) {
				size = s.sizes[i][p]
				ok = size >= 0
			} else { // a NodeInfo from outside the snapshot
				size, ok = imageSize(node, name)
			}
			if ok {
				sum += scaledImageScore(size, n, s.totalNumNodes)
			}
		}
	}
	return calculatePriority(sum, s.imageCount), nil
}

// ScoreNodes is Score for every node (framework.BatchScorer).
func (pl *ImageLocality) ScoreNodes(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, scores framework.NodeScoreList) *framework.Status {
	s := pl.preScoreState(state, pod)
	if !s.anyOnNodes {
		// No node holds an image: every node scores the same.
		v := calculatePriority(0, s.imageCount)
		for j := range nodes {
			scores[j].Score = v
		}
		return nil
	}
	for j, ni := range nodes {
		scores[j].Score, _ = pl.Score(state, pod, ni)
	}
	return nil
}

// ScoreExtensions returns nil: the scores already lie in [0, 100].
func (pl *ImageLocality) ScoreExtensions() framework.ScoreExtensions { return nil }

// scaledImageScore is image_locality.go scaledImageScore: the size times
// numNodes/totalNumNodes, in floating point as upstream, truncated.
func scaledImageScore(size int64, numNodes, totalNumNodes int) int64 {
	spread := float64(numNodes) / float64(totalNumNodes)
	return int64(float64(size) * spread)
}

// calculatePriority is image_locality.go calculatePriority.
func calculatePriority(sumScores int64, imageCount int) int64 {
	maxThreshold := maxContainerThreshold * int64(imageCount)
	if sumScores < minThreshold {
		sumScores = minThreshold
	} else if sumScores > maxThreshold {
		sumScores = maxThreshold
	}
	return framework.MaxNodeScore * (sumScores - minThreshold) / (maxThreshold - minThreshold)
}

// imageSize returns the size the node reports for an image name; with the
// name listed twice, the later entry wins, as upstream's map of the node's
// images is filled in order (backend/cache snapshot.go getNodeImageStates).
// node.Images is ordered by name (stable), so this is a binary search.
func imageSize(n *api.Node, name string) (int64, bool) {
	if n == nil {
		return 0, false
	}
	imgs := n.Images
	lo, hi := 0, len(imgs) // the first entry named above name is in [lo, hi]
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if imgs[m].Name > name {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo > 0 && imgs[lo-1].Name == name {
		return imgs[lo-1].SizeBytes, true
	}
	return 0, false
}

// imageCounter keeps, per image name, the image's size on each node of the
// snapshot (by position; -1 where absent) and the number of nodes holding
// it. It follows the snapshot from cycle to cycle by pointer: the
// scheduler's cache replaces a node's *api.Node on every update and never
// edits one in place, so an unchanged pointer is an unchanged node. Only
// names some pod asked for are tracked, at most maxTrackedImages. The
// counts and sizes are exact for the current snapshot whatever the history,
// so results do not depend on it.
type imageCounter struct {
	infos  []*framework.NodeInfo // the snapshot's list at the last sync
	nodes  []*api.Node           // their nodes at the last sync
	pos    map[*framework.NodeInfo]int
	cursor int // where the next position lookup starts

	names  []string
	counts []int
	sizes  [][]int64      // per tracked name, per position
	index  map[string]int // name → position in names; looked up only

	// With a journal, sync reads only the NodeInfos logged since the last
	// sync of the journal's list (jOK) at version jVersion.
	journal  *framework.Journal
	jOK      bool
	jVersion uint64
	jCursor  uint64
}

const maxTrackedImages = 256

// sync brings the counter up to date with list: a changed node is swapped
// in place, one tracked name at a time; a changed length, or more changed
// nodes than a recount costs, starts over.
func (c *imageCounter) sync(list []*framework.NodeInfo) {
	if c.syncJournal(list) {
		return
	}
	c.syncAll(list)
	c.jOK = false
	if j := c.journal; j != nil {
		if _, v := j.List(); j.IsList(list, v) {
			c.jOK, c.jVersion, c.jCursor = true, v, j.Cursor()
		}
	}
}

// syncJournal updates the nodes the journal logged since the last sync,
// when both syncs are of the journal's list at one version; it reports
// whether it could.
func (c *imageCounter) syncJournal(list []*framework.NodeInfo) bool {
	j := c.journal
	if j == nil || !c.jOK || len(list) != len(c.nodes) || !j.IsList(list, c.jVersion) {
		return false
	}
	changed, ok := j.Since(c.jCursor)
	if !ok {
		return false
	}
	for _, ni := range changed {
		n := ni.Node()
		if p := c.lookup(ni); p >= 0 && c.nodes[p] != n {
			c.setNode(p, n)
		}
	}
	c.jCursor = j.Cursor()
	return true
}

// lookup returns ni's position in the synced list, or -1.
func (c *imageCounter) lookup(ni *framework.NodeInfo) int {
	if c.pos == nil {
		c.pos = make(map[*framework.NodeInfo]int, len(c.infos))
		for i, x := range c.infos {
			c.pos[x] = i
		}
	}
	if p, ok := c.pos[ni]; ok {
		return p
	}
	return -1
}

// setNode swaps position i's node for n, one tracked name at a time.
func (c *imageCounter) setNode(i int, n *api.Node) {
	for j, name := range c.names {
		if c.sizes[j][i] >= 0 {
			c.counts[j]--
		}
		c.sizes[j][i] = -1
		if size, ok := imageSize(n, name); ok {
			c.sizes[j][i] = size
			c.counts[j]++
		}
	}
	c.nodes[i] = n
}

// syncAll compares every position with list: a changed node is swapped in
// place; a changed length, or more changed nodes than a recount costs,
// starts over.
func (c *imageCounter) syncAll(list []*framework.NodeInfo) {
	if len(list) != len(c.nodes) {
		c.reset(list)
		return
	}
	changed := 0
	for i, ni := range list {
		if ni != c.infos[i] {
			c.infos[i] = ni
			c.pos = nil
		}
		n := ni.Node()
		if n == c.nodes[i] {
			continue
		}
		changed++
		if changed*len(c.names) > len(list) {
			c.reset(list)
			return
		}
		c.setNode(i, n)
	}
}

func (c *imageCounter) reset(list []*framework.NodeInfo) {
	c.infos = append(c.infos[:0], list...)
	c.nodes = c.nodes[:0]
	for _, ni := range list {
		c.nodes = append(c.nodes, ni.Node())
	}
	c.pos, c.cursor = nil, 0
	c.forgetNames()
}

func (c *imageCounter) forgetNames() {
	clear(c.sizes) // drop the slices; states of past cycles may still hold them
	c.names, c.counts, c.sizes = c.names[:0], c.counts[:0], c.sizes[:0]
	c.index = make(map[string]int)
}

// track returns how many synced nodes hold name and its size on each,
// scanning every node the first time the name is asked for. Callers must
// not modify the slice.
func (c *imageCounter) track(name string) (int, []int64) {
	if j, ok := c.index[name]; ok {
		return c.counts[j], c.sizes[j]
	}
	if len(c.names) >= maxTrackedImages || c.index == nil {
		c.forgetNames()
	}
	sizes := make([]int64, len(c.nodes))
	n := 0
	for i, node := range c.nodes {
		sizes[i] = -1
		if size, ok := imageSize(node, name); ok {
			sizes[i] = size
			n++
		}
	}
	c.index[name] = len(c.names)
	c.names = append(c.names, name)
	c.counts = append(c.counts, n)
	c.sizes = append(c.sizes, sizes)
	return n, sizes
}

// maxCursorSteps bounds the forward search from the cursor before the
// position map is used.
const maxCursorSteps = 64

// position returns ni's position in the synced list, or -1. The scheduler
// scores the feasible nodes in list order (from a round-robin start), so a
// short scan forward from the last position usually finds it; a map built
// on first need covers the rest.
func (c *imageCounter) position(ni *framework.NodeInfo) int {
	n := len(c.infos)
	if n == 0 {
		return -1
	}
	p := c.cursor % n
	for range min(n, maxCursorSteps) {
		if c.infos[p] == ni {
			return c.found(p, ni)
		}
		if p++; p == n {
			p = 0
		}
	}
	if c.pos == nil {
		c.pos = make(map[*framework.NodeInfo]int, n)
		for i, x := range c.infos {
			c.pos[x] = i
		}
	}
	if p, ok := c.pos[ni]; ok {
		return c.found(p, ni)
	}
	return -1
}

// found moves the cursor past p, and checks that the node is the one the
// sizes were taken from.
func (c *imageCounter) found(p int, ni *framework.NodeInfo) int {
	c.cursor = p + 1
	if c.nodes[p] != ni.Node() {
		return -1
	}
	return p
}
