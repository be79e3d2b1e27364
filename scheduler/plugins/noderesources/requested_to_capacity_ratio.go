package noderesources

import "github.com/kubesim/kubesim/scheduler/framework"

// maxCustomPriorityScore is the top of a shape's score scale
// (pkg/scheduler/apis/config types.go MaxCustomPriorityScore).
const maxCustomPriorityScore = 10

// maxUtilization is requested_to_capacity_ratio.go maxUtilization.
const maxUtilization = 100

// shapePoint is helper/shape_score.go FunctionShapePoint.
type shapePoint struct {
	utilization, score int64
}

// scaledShape is requested_to_capacity_ratio.go
// requestedToCapacityRatioScorer: the shape's scores, given on a 0-10
// scale, are multiplied by MaxNodeScore / MaxCustomPriorityScore = 10.
func scaledShape(shape []UtilizationShapePoint) []shapePoint {
	out := make([]shapePoint, len(shape))
	for i, p := range shape {
		out[i] = shapePoint{int64(p.Utilization), int64(p.Score) * (framework.MaxNodeScore / maxCustomPriorityScore)}
	}
	return out
}

// brokenLinear is helper/shape_score.go BuildBrokenLinearFunction: the
// first point's score below it, the last point's above it, and linear
// interpolation with integer division in between.
func brokenLinear(shape []shapePoint, p int64) int64 {
	for i := range shape {
		if p <= shape[i].utilization {
			if i == 0 {
				return shape[0].score
			}
			a, b := shape[i-1], shape[i]
			return a.score + (b.score-a.score)*(p-a.utilization)/(b.utilization-a.utilization)
		}
	}
	return shape[len(shape)-1].score
}

// requestedToCapacityRatioScore is requested_to_capacity_ratio.go
// resourceScoringFunction: the shape at the utilization in percent
// (integer), or at 100 when over capacity or without capacity.
func (f *Fit) requestedToCapacityRatioScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return brokenLinear(f.shape, maxUtilization)
	}
	return brokenLinear(f.shape, requested*maxUtilization/capacity)
}
