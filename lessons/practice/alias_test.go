package practice

import "maillab/trace"

type traceEvent = trace.Event
