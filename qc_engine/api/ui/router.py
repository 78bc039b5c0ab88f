"""The desk's pages under /ui. Routes are thin: they read the signed-in user from the
cookie, check the origin of every POST, call qc_engine.service exactly like the REST API
(so the same roles, 403s and 409s apply) and render a template or redirect (POST, then
redirect, then GET); a refusal is rendered on the page in Chinese with its status code.

One module per part of the desk: signin.py, queue.py, chat.py (the chat view and its
actions), lists.py (appeals, teaching cases, checklists); forms.py holds what they share."""

from __future__ import annotations

from fastapi import APIRouter

from qc_engine.api.ui import (
    agent,
    assignment,
    calibration,
    chat,
    chats,
    checklist_edit,
    dashboard,
    lists,
    queue,
    reports,
    signin,
)

router = APIRouter(include_in_schema=False)
for part in (
    signin,
    dashboard,
    queue,
    assignment,
    chat,
    chats,
    checklist_edit,
    lists,
    calibration,
    reports,
    agent,
):
    router.include_router(part.router)
