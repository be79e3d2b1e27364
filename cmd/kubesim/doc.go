// Command kubesim runs Kubernetes scenarios on a virtual clock.
//
//	kubesim run [FILE|NAME]      run a scenario: event log, tables, summary (-o json,
//	                             --events, --metrics, --plot, --watch --speed)
//	kubesim validate FILE        check a scenario without running it
//	kubesim scenarios            list the embedded library
//	kubesim explain [FILE|NAME]  the scheduler's decision for a pod (--pod, --at)
//	kubesim serve [FILE|NAME]    a Kubernetes API for the real kubectl, paced to wall time
//
// It owns flags, files and the wall clock: scenarios are read through an
// fs.FS handed to package scenarios, output goes to the writers it is given,
// and only --watch and serve pace a run to wall time. Exit codes: 0 every
// expectation held, 1 an expectation failed, 2 invalid input or usage.
package main
