"""Shared dependencies of the routers: the app's runtime and services."""

from typing import Annotated

from fastapi import Depends, Request

from app.bootstrap import Runtime
from app.chat.service import ChatService
from app.services.audit import AuditService
from app.services.dead_letters import DeadLetterService
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from app.web import WebApp


def get_web_app(request: Request) -> WebApp:
    web_app: WebApp = request.app.state.web_app
    return web_app


WebAppDep = Annotated[WebApp, Depends(get_web_app)]


def get_runtime(web_app: WebAppDep) -> Runtime:
    return web_app.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_tasks(runtime: RuntimeDep) -> TaskService:
    return runtime.tasks


def get_reminders(runtime: RuntimeDep) -> ReminderService:
    return runtime.reminders


def get_audit(runtime: RuntimeDep) -> AuditService:
    return runtime.audit


def get_dead_letters(runtime: RuntimeDep) -> DeadLetterService:
    return runtime.dead_letters


def get_chat(web_app: WebAppDep) -> ChatService:
    return web_app.chat


Tasks = Annotated[TaskService, Depends(get_tasks)]
Reminders = Annotated[ReminderService, Depends(get_reminders)]
Audit = Annotated[AuditService, Depends(get_audit)]
Chat = Annotated[ChatService, Depends(get_chat)]
DeadLetters = Annotated[DeadLetterService, Depends(get_dead_letters)]
