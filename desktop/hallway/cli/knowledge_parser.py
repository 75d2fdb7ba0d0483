"""The arguments of the knowledge-sharing commands (issue 11). Keep the contract stable::

hallway post TEXT [--urgent] [--question] [--ack] [--json]   prints the new post's id
hallway reply ID TEXT                                        prints the reply's id
hallway answer REPLY_ID
hallway ack ID
hallway acks ID [--json]
hallway thread ID [--json]
hallway edit ID TEXT
hallway delete ID
hallway feed [--json] [--limit N] [--questions | --search WORDS]
"""

from __future__ import annotations

from hallway.control.transport import EVENT_ID_MAX
from hallway.core.knowledge import MISSING_DAYS

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    # Not at run time: `hallway peers` reads KNOWLEDGE_COMMANDS and parses without argparse.
    import argparse
    from collections.abc import Callable
    from typing import Final

    Command = Callable[[str, str, str], argparse.ArgumentParser]

__all__ = ["KNOWLEDGE_COMMANDS", "add_feed_options", "add_knowledge_commands", "add_post_options"]

KNOWLEDGE_COMMANDS: Final = frozenset(
    {"reply", "answer", "ack", "acks", "thread", "edit", "delete"}
)
_IDS: Final = "`hallway feed` and `hallway thread ID` show the ids"


def item_id_arg(text: str) -> str:
    """A post's or a reply's id, `<author>:<incarnation>:<seq>`; the node says if it knows it."""
    import argparse  # loaded already: argparse is what calls this

    item_id = text.strip()
    if (
        not item_id
        or len(item_id) > EVENT_ID_MAX
        or not item_id.isprintable()
        or any(ch.isspace() for ch in item_id)
    ):
        raise argparse.ArgumentTypeError(f"{text!r} is not the id of a post or a reply; {_IDS}")
    return item_id


def add_post_options(post: argparse.ArgumentParser) -> None:
    post.add_argument("text", metavar="TEXT", nargs="+", help="the announcement (#tags are kept)")
    post.add_argument("--urgent", action="store_true", help="pop up even for people in DND")
    post.add_argument(
        "--question",
        action="store_true",
        help="ask the office: you can then mark one reply as its answer",
    )
    post.add_argument(
        "--ack",
        action="store_true",
        help="ask everyone to acknowledge it; `hallway acks ID` shows who has",
    )
    post.add_argument(
        "--json", action="store_true", help="print the new post as a JSON object, not its id"
    )


def add_feed_options(feed: argparse.ArgumentParser) -> None:
    """`--questions` and `--search`; `--json` and `--limit` are the feed's since issue 2."""
    only = feed.add_mutually_exclusive_group()
    only.add_argument(
        "--questions", action="store_true", help="only the open questions (none answered yet)"
    )
    only.add_argument(
        "--search",
        metavar="WORDS",
        nargs="+",
        help="search posts, replies, questions, events and statuses for WORDS "
        '(each also as the start of a word: "badg" finds "badge"), best match first',
    )


def add_knowledge_commands(command: Command) -> None:
    """`reply`, `answer`, `ack`, `acks`, `thread`, `edit` and `delete`."""
    reply = command(
        "reply",
        "reply to a post or a question; prints the reply's id",
        "Replying to a reply replies in its post's thread. The post's author, and everyone\n"
        "who replied in the thread before, get a pop-up.\n\n"
        "examples:\n"
        '  hallway reply ID "Hold the reset button for ten seconds"\n'
        '  hallway reply ID "Ask facilities, ext. 2100 #badge"',
    )
    _id(reply, "the post (or a reply in its thread)")
    reply.add_argument("text", metavar="TEXT", nargs="+", help="the reply (2,000 characters)")

    answer = command(
        "answer",
        "mark a reply to your own question as its answer",
        "The question then shows as answered, with that reply first. Choosing another reply\n"
        "later changes the answer.\n\n"
        "example:\n  hallway answer REPLY_ID",
    )
    answer.add_argument(
        "id", metavar="REPLY_ID", type=item_id_arg, help="the reply (see `hallway thread`)"
    )

    ack = command(
        "ack",
        "acknowledge a post that asks for it",
        "example:\n  hallway ack ID",
    )
    _id(ack, "the post")

    acks = command(
        "acks",
        "show who acknowledged your post, and who has not",
        f"Missing: the members seen here in the last {MISSING_DAYS} days who have not "
        "acknowledged it.\n\n"
        "examples:\n  hallway acks ID\n  hallway acks ID --json | jq -r '.missing[].name'",
    )
    _id(acks, "the post that asks for acknowledgement")
    acks.add_argument(
        "--json",
        action="store_true",
        help='print {"acknowledged": [{peer, name, at}], "missing": [{peer, name}]}',
    )

    thread = command(
        "thread",
        "show a post and its replies, oldest reply first",
        "A reply's id opens its post's thread. A question's chosen answer is marked.\n\n"
        "examples:\n  hallway thread ID\n  hallway thread ID --json | jq '.replies | length'",
    )
    _id(thread, "the post, or one of its replies")
    thread.add_argument(
        "--json", action="store_true", help="print {post, replies} with feed items as JSON"
    )

    edit = command(
        "edit",
        "change the text of your own post or reply",
        'Everyone sees the new text, marked "edited".\n\n'
        'example:\n  hallway edit ID "Fire drill moved to 15:30 #safety"',
    )
    _id(edit, "your post or reply")
    edit.add_argument("text", metavar="TEXT", nargs="+", help="the new text (2,000 characters)")

    delete = command(
        "delete",
        "delete your own post or reply, everywhere",
        "No text of it is kept, here or on your colleagues' machines.\n\n"
        "example:\n  hallway delete ID",
    )
    _id(delete, "your post or reply")


def _id(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("id", metavar="ID", type=item_id_arg, help=f"{what}: its id")
