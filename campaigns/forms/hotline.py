"""The hotline export's upload form."""

from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import WorkbookUploadForm, workbook_field
from campaigns.services.hotline_import import hotline_read


class HotlineImportForm(WorkbookUploadForm):
    file = workbook_field(_("12345热线工单导出文件（.xlsx）"))
    read_file = staticmethod(hotline_read)
