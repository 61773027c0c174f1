"""Saving the scores: nbgrader's ``SaveAutoGrades``, with the judge's score for code grade cells."""

from nbgrader.preprocessors import SaveAutoGrades


class SaveJudgedScores(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, with the judged score (``judge.JudgeHiddenTests``) for code
    grade cells: what a cell printed or returned (an ``execute_result``, stock nbgrader's partial
    credit) sets no score, and no score leaves ``0..points``."""

    def _add_score(self, cell, resources):
        if cell.cell_type != "code":
            return super()._add_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"],
            self.notebook_id,
            self.assignment_id,
            self.student_id,
        )
        score = resources.get("judged_scores", {}).get(grade.name, 0.0)
        grade.auto_score = min(max(float(score), 0.0), float(grade.max_score))
        grade.needs_manual_grade = grade.manual_score is not None
        self.gradebook.db.commit()
