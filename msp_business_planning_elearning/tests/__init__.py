from . import test_course_completion
