package main

import (
	"os/exec"
	"strconv"
	"testing"

	"maillab/sandbox/sandboxtest"

	"github.com/creack/pty"
)

// TestChineseWiretapWithTelnet: the seed's session typed with telnet
// against `maillab sandbox` started under LANG=zh_CN.UTF-8: the wiretap
// explains every line in Chinese, and the protocol stays byte for byte.
func TestChineseWiretapWithTelnet(t *testing.T) {
	telnet := sandboxtest.NeedTool(t, "telnet")
	offset := freeOffset(t)
	sb := startMaillabEnv(t, []string{"LANG=zh_CN.UTF-8", "LC_ALL=", "LC_MESSAGES=", "MAILLAB_LANG="},
		"sandbox", "--port-offset", strconv.Itoa(offset), "--web", "off", "--color", "never", "--width", "200")
	sb.waitLine(t, "下面显示每个会话的每一行")

	f, err := pty.Start(exec.Command(telnet, "127.0.0.1", strconv.Itoa(2525+offset)))
	if err != nil {
		sandboxtest.Unavailable(t, "no pseudo-terminal here: %v", err)
	}
	defer f.Close()
	tm := &terminal{changed: make(chan struct{}, 1)}
	go bufCopy(tm, f)
	tm.waitFor(t, "220 smtp.sohu.com", 1)
	for _, step := range []struct{ line, answer string }{
		{"EHLO me", "250 HELP"}, {"AUTH LOGIN", "334 VXNlcm5hbWU6"}, {"Z2FjbA==", "334 UGFzc3dvcmQ6"}, {"MTIzNDU2", "235 2.7.0"},
		{"MAIL FROM:<gacl@sohu.com>", "250 2.1.0"}, {"RCPT TO:<bbb@sina.com>", "250 2.1.5"}, {"DATA", "354"},
	} {
		f.Write([]byte(step.line + "\r")) // Enter
		tm.waitFor(t, step.answer, 1)
	}
	for _, l := range []string{"From: <gacl@sohu.com>", "To: <bbb@sina.com>", "Subject: =?GBK?B?08q8/rLiytQ=?=", "", "hello bbb", "."} {
		f.Write([]byte(l + "\r")) // each line's Enter; the message has no answer before the "."
	}
	tm.waitFor(t, "250 2.0.0 OK, message accepted", 1)
	f.Write([]byte("QUIT\r"))
	tm.waitFor(t, "221 2.0.0", 1)

	for _, want := range []string{
		"EHLO me", "你好，我来自“me”（客户端的主机名",
		"Z2FjbA==", "“gacl”的 Base64 编码",
		"235 2.7.0 authentication successful", "已登录：这个会话现在可以把邮件发往其他服务商了",
		"邮件头 Subject：邮件主题；解码后是“邮件测试”",
		"已把", "中继到 sina.com",
	} {
		sb.waitLine(t, want)
	}
}

// TestErrorsInChinese: errors are said in the chosen language, maillab's
// own and those of the command-line library, a wrapped chain part by part.
func TestErrorsInChinese(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"play", "--bogus"}, "maillab: 错误：未知的选项：--bogus\n"},
		{[]string{"play", "--delay", "x"}, `maillab: 错误：选项 "--delay" 的参数 "x" 无效：无效的时长 "x"（例如 400ms、2s、5m）` + "\n"},
		{[]string{"lesson", "99"}, "maillab: 错误：没有第 99 课（maillab lesson 会列出所有课程）\n"},
		{[]string{"sandbox", "--port-offset", "70000"}, "maillab: 错误：--port-offset 70000：必须在 0 到 60000 之间\n"},
		{[]string{"decode", "--file", "/nonexistent/x.eml"}, "maillab: 错误：--file：打开 /nonexistent/x.eml：文件或目录不存在\n"},
	}
	for _, tt := range tests {
		args := append(tt.args, "--lang", "zh")
		streams, _, errOut := testStreams("")
		err := newRootCmd(streams, args).ExecuteContext(t.Context())
		if code := exitStatus(streams, err, nil, printerOf(streams, args)); code != 1 {
			t.Errorf("%v: exit status %d", tt.args, code)
		}
		if errOut.String() != tt.want {
			t.Errorf("%v:\n got %q\nwant %q", tt.args, errOut.String(), tt.want)
		}
	}
}
