module kq.local/tests/cluster/kq-logsim

go 1.25.0
