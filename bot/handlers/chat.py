"""What a chat sends besides questions and known commands: photos and images, stickers, and commands
the bot does not have. Each gets a short Vietnamese answer, never silence (in groups: only when the
message is addressed to the bot).

Photos and images sent as files all come through `on_image`. An admin's, in a private chat, is an
upload: bot.handlers.documents reads it by OCR (an album becomes one document), stores and indexes it,
the one upload path. Everyone else gets one sentence saying that only admins add documents.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot import replies
from bot.handlers import documents
from bot.handlers.common import is_admin, reply, served


def _addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A private message always; in a group, a reply to the bot or a caption that mentions it."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    bot = context.bot
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    for entity in message.caption_entities or ():
        if entity.type == MessageEntity.MENTION:
            if message.parse_caption_entity(entity).lstrip("@").lower() == bot.username.lower():
                return True
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
    return False


async def on_image(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not _addressed(message, context):
        return
    if is_admin(update, context):
        if message.chat.type != ChatType.PRIVATE:
            await reply(context, message, documents.UPLOAD_IN_PRIVATE)
        elif message.photo:
            await documents.on_photo(update, context)
        elif message.document is not None:
            await documents.on_document(update, context)
        return
    if await served(update, context) is None:
        return
    await reply(context, message, replies.NOT_TEXT_PHOTO)


async def on_sticker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not _addressed(message, context):
        return
    if await served(update, context) is None:
        return
    await reply(context, message, replies.NOT_TEXT_STICKER)


def command_of(message: Message) -> tuple[str, str | None] | None:
    """The leading command of a message and the bot it names: ("foo", "somebot") for "/foo@somebot x",
    ("foo", None) for "/foo"; None without a leading command."""
    entities = message.entities or ()
    first = next((e for e in entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None)
    if first is None:
        return None
    name, _, target = message.parse_entity(first)[1:].partition("@")
    return name, target or None


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command no handler took: the list of the commands this user has. In a group only a command
    addressed to this bot ("/foo@bot") is answered; a bare one may be for another bot."""
    message = update.effective_message
    if message is None:
        return
    found = command_of(message)
    if found is None:
        return
    name, target = found
    if target is not None and target.lower() != context.bot.username.lower():
        return
    if message.chat.type != ChatType.PRIVATE and target is None:
        return
    if await served(update, context) is None:
        return
    await reply(context, message, replies.unknown_command_text(name, is_admin(update, context)))


def handlers() -> list[BaseHandler[Update, Any, Any]]:
    """After every command handler (bot.app adds them last but the free-text ones)."""
    return [
        MessageHandler(filters.PHOTO | filters.Document.IMAGE, on_image),
        MessageHandler(filters.Sticker.ALL, on_sticker),
        MessageHandler(filters.COMMAND, on_unknown_command),
    ]
