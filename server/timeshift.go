package server

import (
	"reflect"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/sim"
)

// view is the clock one response is written against: the virtual now, the
// shift applied to every timestamp, and the wall-clock instant ages are
// measured from (epoch + shift + virtual now).
type view struct {
	vnow sim.Time
	off  time.Duration
	now  time.Time
}

func (s *Server) view() view {
	v := view{vnow: s.Now(), off: s.offset()}
	v.now = s.opts.Epoch.Add(v.off).Add(time.Duration(v.vnow))
	return v
}

// toVirtual maps a timestamp a client sent back to virtual time.
func (s *Server) toVirtual(v view, t time.Time) sim.Time {
	return sim.Time(t.Sub(s.opts.Epoch.Add(v.off)))
}

var (
	timeType  = reflect.TypeOf(metav1.Time{})
	microType = reflect.TypeOf(metav1.MicroTime{})
	hasTimes  sync.Map // reflect.Type -> bool
)

// shiftTimes adds d to every metav1.Time and MicroTime in obj, in place.
func shiftTimes(obj runtime.Object, d time.Duration) {
	if d == 0 || obj == nil {
		return
	}
	shiftValue(reflect.ValueOf(obj), d)
}

func shiftValue(v reflect.Value, d time.Duration) {
	if !containsTime(v.Type(), map[reflect.Type]bool{}) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			shiftValue(v.Elem(), d)
		}
	case reflect.Struct:
		switch v.Type() {
		case timeType:
			if v.CanAddr() {
				t := v.Addr().Interface().(*metav1.Time)
				if !t.IsZero() {
					t.Time = t.Time.Add(d)
				}
			}
			return
		case microType:
			if v.CanAddr() {
				t := v.Addr().Interface().(*metav1.MicroTime)
				if !t.IsZero() {
					t.Time = t.Time.Add(d)
				}
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				shiftValue(f, d)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			shiftValue(v.Index(i), d)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		iter := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var updates []kv
		for iter.Next() {
			nv := reflect.New(v.Type().Elem()).Elem()
			nv.Set(iter.Value())
			shiftValue(nv, d)
			updates = append(updates, kv{iter.Key(), nv})
		}
		for _, u := range updates {
			v.SetMapIndex(u.k, u.v)
		}
	}
}

// containsTime reports whether a value of type t can hold a timestamp.
func containsTime(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if v, ok := hasTimes.Load(t); ok {
		return v.(bool)
	}
	if visiting[t] {
		return false
	}
	visiting[t] = true
	var r bool
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		r = containsTime(t.Elem(), visiting)
	case reflect.Interface:
		r = true
	case reflect.Struct:
		if t == timeType || t == microType {
			r = true
			break
		}
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() && containsTime(t.Field(i).Type, visiting) {
				r = true
				break
			}
		}
	}
	delete(visiting, t)
	if len(visiting) == 0 || r {
		hasTimes.Store(t, r)
	}
	return r
}
