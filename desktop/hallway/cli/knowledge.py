"""`hallway post`, `feed`, `reply`, `answer`, `ack`, `acks`, `thread`, `edit` and `delete`:
knowledge sharing (issue 11) through the running instance's control socket.

Mistakes found here, before the node is asked, are usage errors (exit 2); what the node refuses
(an unknown id, someone else's question or item, an ack on a post that does not ask for one)
comes back as a `ControlError` (exit 1), and nothing changes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from hallway.cli.knowledge_output import acks_lines, search_lines, thread_lines
from hallway.cli.meetup_text import quoted
from hallway.cli.output import Style, feed_lines, message, write_json, write_line
from hallway.control.client import ControlClient
from hallway.core.errors import UsageError
from hallway.core.knowledge import KnowledgeError, fts_query
from hallway.core.model import POST_TEXT_MAX, one_line

__all__ = ["run_feed", "run_knowledge", "run_post"]


def _text(args: argparse.Namespace, a: str, the: str) -> str:
    text = " ".join(args.text).strip()
    if not text:
        raise UsageError(f"{a} needs some text")
    if len(text) > POST_TEXT_MAX:
        raise UsageError(f"{the} is {len(text)} characters long; the limit is {POST_TEXT_MAX}")
    return text


def run_post(args: argparse.Namespace, client: ControlClient) -> int:
    """Prints the new post's id alone on stdout (`--json`: the item); says what it sent on
    stderr."""
    text = _text(args, "a post", "the post")
    posted = client.request(
        "post", text=text, urgent=args.urgent, question=args.question, ack=args.ack
    )
    post_id = one_line(str(posted.get("id", "")))
    if args.json:
        write_json(posted)
    else:
        write_line(post_id)
    urgent = "urgent " if posted.get("urgent") else ""
    kind = "question" if posted.get("question") else "post"
    article = "an" if urgent else "a"
    said = f"Sent {article} {urgent}{kind} to the office"
    if posted.get("ack"):
        said += f", asking everyone to acknowledge it; `hallway acks {post_id}` shows who has"
    message(said + ".")
    return 0


def run_feed(args: argparse.Namespace, client: ControlClient, style: Style) -> int:
    if args.search is not None:
        words = " ".join(args.search)
        try:
            fts_query(words)  # the node's own check, so that a mistake is a usage error
        except KnowledgeError as exc:
            raise UsageError(str(exc)) from None
        hits = client.request("search", words=words, limit=args.limit)
        _print(args, hits, lambda: search_lines(hits, style, words))
        return 0
    items = client.request("feed", limit=args.limit, questions=args.questions)
    if args.questions and not items and not args.json:
        write_line("No open questions.")
    else:
        _print(args, items, lambda: feed_lines(items, style))
    return 0


def run_knowledge(args: argparse.Namespace, client: ControlClient, style: Style) -> int:
    """`reply`, `answer`, `ack`, `acks`, `thread`, `edit`, `delete`."""
    match args.command:
        case "reply":
            text = _text(args, "a reply", "the reply")
            item = client.request("reply", id=args.id, text=text)
            write_line(one_line(str(item.get("id", ""))))
            thread = one_line(str(item.get("reply_to") or args.id))
            message(f"Sent your reply; `hallway thread {thread}` shows the thread.")
        case "answer":
            question = client.request("answer", id=args.id)
            message(f"Marked the answer to your question {_quote(question)}.")
        case "ack":
            post = client.request("ack", id=args.id)
            message(f"Acknowledged {_whose(post)} post {_quote(post)}.")
        case "acks":
            view = client.request("acks", id=args.id)
            _print(args, view, lambda: acks_lines(view, style))
        case "thread":
            thread = client.request("thread", id=args.id)
            _print(args, thread, lambda: thread_lines(thread, style))
        case "edit":
            text = _text(args, "the new text", "the new text")
            item = client.request("edit", id=args.id, text=text)
            what = "reply" if item.get("reply_to") else "post"
            message(f"Edited your {what}; everyone sees the new text, marked edited.")
        case "delete":
            client.request("delete", id=args.id)
            message("Deleted it everywhere; no text of it is kept.")
    return 0


def _print(args: argparse.Namespace, value: Any, human: Callable[[], str]) -> None:
    if args.json:
        write_json(value)
    else:
        write_line(human())


def _quote(item: dict[str, Any]) -> str:
    text = one_line(str(item.get("text") or ""))
    return quoted(text if len(text) <= 60 else text[:59] + "…")


def _whose(item: dict[str, Any]) -> str:
    if item.get("own"):
        return "your"
    return f"{one_line(str(item.get('name') or 'a colleague'))}'s"
