"""The programme: officers' timeline, rounds, overrides and meetings; the member's home."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from assembly import routing  # noqa: F401  (registers the `id` path parameter)
from assembly.deliberation.views import (
    member,
    member_evidence,
    officer,
    officer_evidence,
)

A = "/assemblies/{assembly_id:id}"
R = A + "/rounds/{round_id:id}"
M = A + "/meetings/{meeting_id:id}"
B = A + "/briefings/{briefing_id:id}"
F = A + "/files/{attachment_id:id}"
Q = A + "/questions/{question_id:id}"

routes: list[BaseRoute] = [
    Route(A + "/programme", officer.page, methods=["GET"], name="programme"),
    Route(A + "/programme.ics", officer.programme_calendar, methods=["GET"],
          name="programme_calendar"),
    Route(A + "/programme/time-zone", officer.set_time_zone, methods=["POST"],
          name="programme_time_zone"),
    Route(A + "/rounds/new", officer.round_new, methods=["GET"], name="round_new"),
    Route(A + "/rounds", officer.round_create, methods=["POST"], name="round_create"),
    Route(R, officer.round_page, methods=["GET"], name="round"),
    Route(R + "/edit", officer.round_edit, methods=["GET"], name="round_edit"),
    Route(R + "/edit", officer.round_update, methods=["POST"], name="round_update"),
    Route(R + "/move", officer.round_move, methods=["POST"], name="round_move"),
    Route(R + "/delete", officer.round_delete, methods=["POST"], name="round_delete"),
    Route(R + "/open", officer.round_open_now, methods=["POST"], name="round_open_now"),
    Route(R + "/extend", officer.round_extend, methods=["POST"], name="round_extend"),
    Route(R + "/close", officer.round_close_now, methods=["POST"], name="round_close_now"),
    Route(R + "/reopen", officer.round_reopen, methods=["POST"], name="round_reopen"),
    Route(R + "/release", officer.round_release, methods=["POST"], name="round_release"),
    Route(A + "/meetings/new", officer.meeting_new, methods=["GET"], name="meeting_new"),
    Route(A + "/meetings", officer.meeting_create, methods=["POST"], name="meeting_create"),
    Route(R + "/reminder-letters.pdf", officer.reminder_letters, methods=["GET"],
          name="round_reminder_letters"),
    Route(A + "/mail/{message_id:id}/retry", officer.mail_retry, methods=["POST"],
          name="mail_retry"),
    Route(M + "/edit", officer.meeting_edit, methods=["GET"], name="meeting_edit"),
    Route(M + "/edit", officer.meeting_update, methods=["POST"], name="meeting_update"),
    Route(M + "/delete", officer.meeting_delete, methods=["POST"], name="meeting_delete"),
    Route(M + ".ics", officer.meeting_calendar, methods=["GET"], name="meeting_calendar"),
    # the evidence library of learn rounds, and the questions to the speakers
    Route(R + "/briefings/new", officer_evidence.briefing_new, methods=["GET"],
          name="briefing_new"),
    Route(R + "/briefings", officer_evidence.briefing_create, methods=["POST"],
          name="briefing_create"),
    Route(B, officer_evidence.briefing_page, methods=["GET"], name="briefing"),
    Route(B + "/edit", officer_evidence.briefing_edit, methods=["GET"], name="briefing_edit"),
    Route(B + "/edit", officer_evidence.briefing_update, methods=["POST"],
          name="briefing_update"),
    Route(B + "/files", officer_evidence.attachment_add, methods=["POST"],
          name="attachment_add"),
    Route(F, officer_evidence.attachment_download, methods=["GET"], name="attachment"),
    Route(F + "/delete", officer_evidence.attachment_delete, methods=["POST"],
          name="attachment_delete"),
    Route(R + "/questions/keyed-in", officer_evidence.question_key_in, methods=["POST"],
          name="question_key_in"),
    Route(Q + "/moderate", officer_evidence.question_moderate, methods=["POST"],
          name="question_moderate"),
    Route(Q + "/merge", officer_evidence.question_merge, methods=["POST"],
          name="question_merge"),
    Route(Q + "/answer", officer_evidence.question_answer, methods=["POST"],
          name="question_answer"),
    # the member's side
    Route("/home", member.home, methods=["GET"], name="member_home"),
    Route("/home/reminders", member.set_reminders, methods=["POST"], name="member_reminders"),
    Route("/home/programme.ics", member.programme_calendar, methods=["GET"],
          name="member_programme_calendar"),
    Route("/home/rounds/{round:public_id}", member.round_page, methods=["GET"],
          name="member_round"),
    Route("/home/rounds/{round:public_id}/questions", member_evidence.ask, methods=["POST"],
          name="member_question_ask"),
    Route("/home/briefings/{briefing:public_id}", member_evidence.briefing_page,
          methods=["GET"], name="member_briefing"),
    Route("/home/briefings/{briefing:public_id}/read", member_evidence.briefing_read,
          methods=["POST"], name="member_briefing_read"),
    Route("/home/files/{attachment:public_id}", member_evidence.attachment, methods=["GET"],
          name="member_attachment"),
    Route("/home/meetings/{meeting:public_id}.ics", member.meeting_calendar,
          methods=["GET"], name="member_meeting_calendar"),
]
