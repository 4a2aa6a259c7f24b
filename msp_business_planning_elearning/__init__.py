from . import models


def _date_existing_course_completions(env):
    """Courses finished before the install: their completion day is the last change of
    the membership, the best date known."""
    env.cr.execute(
        """
        UPDATE slide_channel_partner
           SET msp_completed_date = write_date::date
         WHERE member_status = 'completed' AND msp_completed_date IS NULL
        """
    )
