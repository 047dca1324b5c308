"""Documents in the office's own format (.docx, GB/T 9704): the 通报, the 督办单, the 月度情况专报
and the 整改报告, each made from its template in templates/documents/, and the 文号 they carry."""
