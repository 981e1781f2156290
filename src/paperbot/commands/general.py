"""/start, /help, /forget, /like, /dislike and the 👍/👎 buttons."""

from __future__ import annotations

from paperbot.arxiv.ids import parse_arxiv_id
from paperbot.commands.base import Action, ActionResult, Command, Context
from paperbot.commands.lookup import find_paper
from paperbot.messages import Button, Reply

QUERY_GUIDE = """**Query language**
• words are all required: `diffusion efficient` (whole words; plurals fold: model = models)
• `"exact phrase"`, `A OR B`, `NOT survey` or `-survey`, `( … )`, `quantiz*` for prefixes
• fields: `ti:` title, `abs:` abstract, `co:` comment (`co:ICML`), `au:"Yang Hua"` author,
  `cat:cs.LG` category (`cat:cs` = all of cs), `has:code`
• by meaning: `~"speeding up language model inference"` (close in meaning, not only these words),
  `like:2411.17712` (close to that paper; several: `like:2411.17712,2405.01234`)"""

WELCOME = """I follow arXiv for you: subscribe to a query, and every newly announced paper that matches \
comes here with a short summary, one by one or as a daily digest.

Try:
`/subscribe "sparse autoencoder" cat:cs.LG`
`/paper 2505.14687`
`/search au:"Yang Hua"`

Send /help for every command."""


async def start(context: Context, args: str) -> Reply:
    note = ""
    if not context.invocation.is_private:
        note = "\n\nIn this group, administrators manage the subscriptions; anyone can look papers up."
    return Reply(text=WELCOME + note)


def _help_text(context: Context) -> str:
    lines = ["**Commands**"]
    lines += [f"`{c.usage}`: {c.summary}" for c in context.commands]
    lines += ["", QUERY_GUIDE, "", "`/help COMMAND` shows examples."]
    return "\n".join(lines)


async def help_command(context: Context, args: str) -> Reply:
    wanted = args.strip().lstrip("/").lower()
    if wanted:
        for command in context.commands:
            if command.name == wanted:
                extra = "\n\n" + QUERY_GUIDE if command.name in ("subscribe", "search") else ""
                return Reply(text=command.help() + extra)
        return Reply(text=f"There is no /{wanted} command. Send /help to see them all.")
    return Reply(text=_help_text(context))


async def forget(context: Context, args: str) -> Reply:
    return (
        Reply(
            text="Delete everything stored about this chat (subscriptions, settings, ratings)? This cannot be undone.",
            buttons=((Button("Yes, forget this chat", action="forget:yes", command="/forget yes"),),),
        )
        if args.strip().lower() != "yes"
        else await _forget_now(context)
    )


async def _forget_now(context: Context) -> Reply:
    await context.services.chats.forget(context.recipient.id)
    return Reply(text="Done: nothing about this chat is stored any more. /start begins afresh.")


async def forget_button(context: Context, args: list[str]) -> ActionResult:
    if args != ["yes"]:
        return ActionResult(toast="This button no longer works.")
    return ActionResult(replace=await _forget_now(context))


async def _rate(context: Context, arxiv_id: str, value: int) -> str:
    paper = await find_paper(context.services, arxiv_id)
    await context.services.feedback.rate(context.recipient.id, paper.arxiv_id, context.invocation.user_id, value)
    return "👍 Noted: more like this." if value > 0 else "👎 Noted: less like this."


async def like(context: Context, args: str) -> Reply:
    return await _rate_command(context, args, +1)


async def dislike(context: Context, args: str) -> Reply:
    return await _rate_command(context, args, -1)


async def _rate_command(context: Context, args: str, value: int) -> Reply:
    if not args.strip():
        return Reply(text=f"Usage: `/{'like' if value > 0 else 'dislike'} ID`, e.g. `/like 2505.14687`.")
    parse_arxiv_id(args.strip())
    return Reply(text=await _rate(context, args.strip(), value))


async def feedback_button(context: Context, args: list[str]) -> ActionResult:
    if len(args) < 2 or args[0] not in ("+", "-"):
        return ActionResult(toast="This button no longer works.")
    return ActionResult(toast=await _rate(context, ":".join(args[1:]), +1 if args[0] == "+" else -1))


async def status(context: Context, args: str) -> Reply:
    invocation = context.invocation
    operators = context.services.settings.operators
    allowed = invocation.platform.value == "console" or f"{invocation.platform.value}:{invocation.user_id}" in operators
    report = context.services.status_report
    if not allowed or report is None:
        return Reply(text="/status is for the bot's operators (PAPERBOT_OPERATORS).")
    return Reply(text=f"```{await report()}```")


COMMANDS = [
    Command("start", "what this bot does, with examples", "/start", start),
    Command("help", "every command, and the query language", "/help [COMMAND]", help_command),
    Command("like", "👍 a paper: more like it", "/like ID", like, examples=("/like 2505.14687",)),
    Command("dislike", "👎 a paper: less like it", "/dislike ID", dislike),
    Command("forget", "delete everything stored about this chat", "/forget", forget, changes_chat=True),
    Command("status", "for operators: polls, chats, outbox, schedule", "/status", status),
]

ACTIONS = [
    Action("fb", feedback_button),
    Action("forget", forget_button, changes_chat=True),
]
