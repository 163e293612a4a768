package web

import (
	"maillab/trace/proto"
	"maillab/trace/proto/smtp"
)

// faultByKey finds an injectable fault by its reply key ("" if none).
func faultByKey(key string) smtp.Reply {
	for _, f := range smtp.Faults {
		if string(f.Key) == key {
			return f
		}
	}
	return smtp.Reply{Key: proto.Key(key)}
}
