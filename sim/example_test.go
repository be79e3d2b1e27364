package sim_test

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// A node heartbeats every 10s; a monitor declares it lost 40s after the last
// heartbeat by re-arming a cancellable timeout. The node dies at 25s, so the
// timeout armed by its 20s heartbeat is the one that fires.
func Example() {
	e := sim.NewEngine(1)
	const grace = 40 * time.Second
	alive := true
	var timeout sim.Timer

	var heartbeat func()
	heartbeat = func() {
		if !alive {
			return
		}
		e.Cancel(timeout)
		timeout = e.After(grace, func() { fmt.Printf("%v node lost\n", e.Now()) })
		e.After(10*time.Second, heartbeat)
	}
	e.After(0, heartbeat)
	e.At(sim.Time(25*time.Second), func() { alive = false; fmt.Printf("%v node dies\n", e.Now()) })

	if err := e.Run(sim.Time(2 * time.Minute)); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%v: %d events fired, %d pending\n", e.Now(), e.Fired(), e.Pending())
	// Output:
	// 25s node dies
	// 1m0s node lost
	// 2m0s: 6 events fired, 0 pending
}
