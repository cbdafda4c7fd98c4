"""The workbook side: the shipped workbook and the Ref_ sheets synced with reference/."""
