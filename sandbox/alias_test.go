package sandbox

import (
	"encoding/base64"

	"maillab/trace"
)

type traceEvent = trace.Event

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
