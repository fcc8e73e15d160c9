.PHONY: run test test-fast bench lint stack stack-down clean

run:
	scripts/run.sh

test:
	scripts/test.sh

test-fast:
	scripts/test.sh fast

bench:
	scripts/bench.sh

lint:
	scripts/test.sh lint

stack:
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

clean:
	rm -rf .data .web .states
