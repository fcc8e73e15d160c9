"""Shared dependencies of the routers: the runtime's services."""

from typing import Annotated

from fastapi import Depends, Request

from app.chat.service import ChatService
from app.runtime import Runtime
from app.services.audit import AuditService
from app.services.dead_letters import DeadLetterService
from app.services.reminders import ReminderService
from app.services.tasks import TaskService


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_tasks(runtime: RuntimeDep) -> TaskService:
    return runtime.tasks


def get_reminders(runtime: RuntimeDep) -> ReminderService:
    return runtime.reminders


def get_audit(runtime: RuntimeDep) -> AuditService:
    return runtime.audit


def get_dead_letters(runtime: RuntimeDep) -> DeadLetterService:
    return runtime.dead_letters


def get_chat(runtime: RuntimeDep) -> ChatService:
    return runtime.chat


Tasks = Annotated[TaskService, Depends(get_tasks)]
Reminders = Annotated[ReminderService, Depends(get_reminders)]
Audit = Annotated[AuditService, Depends(get_audit)]
Chat = Annotated[ChatService, Depends(get_chat)]
DeadLetters = Annotated[DeadLetterService, Depends(get_dead_letters)]
