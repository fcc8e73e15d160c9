"""Operator commands on the database the app uses (TASKFLOW_DATABASE_URL):

    python -m app.cli dead-letters list [--replayed | --waiting] [--limit N] [--offset N]
    python -m app.cli dead-letters replay ID

A replayed event goes back on the outbox; the running app's relay publishes it.
"""

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from app.adapters.local.sql import EngineSql, create_engine
from app.api.schemas import DeadLetterOut
from app.config import Settings
from app.services.dead_letters import DeadLetterService
from app.services.errors import Conflict, NotFound


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dead_letters = commands.add_parser("dead-letters", help="events set aside as malformed")
    actions = dead_letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="newest first, one JSON object a line")
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--replayed", action="store_const", const=True, dest="replayed")
    which.add_argument("--waiting", action="store_const", const=False, dest="replayed")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    replay = actions.add_parser("replay", help="publish one again, through the outbox")
    replay.add_argument("id", type=int)
    return parser


async def _run(args: argparse.Namespace, service: DeadLetterService) -> int:
    if args.action == "list":
        letters, total = await service.page(args.replayed, args.limit, args.offset)
        for letter in letters:
            print(DeadLetterOut.of(letter).model_dump_json())
        print(f"{len(letters)} of {total} shown", file=sys.stderr)
        return 0
    try:
        letter = await service.replay(args.id)
    except (NotFound, Conflict) as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps({"replayed": letter.id, "event_id": letter.event_id, "topic": letter.topic}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    engine = create_engine(Settings.from_env().database_url)
    try:
        # The app's relay polls the outbox, so nobody needs telling about a replay here.
        return asyncio.run(_run(args, DeadLetterService(EngineSql(engine), lambda: None)))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
