// Command maillab teaches how e-mail really works: it runs a small world of
// mail providers on loopback, plays a message's journey as an annotated
// transcript, lets learners type SMTP and POP3 commands, and decodes what
// they capture.
package main

import "os"

func main() { os.Exit(Main()) }
