package web

import "maillab/sandbox/reply"

// faultByKey finds an injectable fault by its reply key ("" if none).
func faultByKey(key string) reply.SMTP {
	for _, f := range reply.Faults {
		if string(f.Key) == key {
			return f
		}
	}
	return reply.SMTP{Key: reply.Key(key)}
}
