"""Synthetic Vietnamese polemical essays (chính luận) and planted-copy corpora of known truth.

Essays are built from slot templates over a sizeable vocabulary of real phrases, so two
unrelated essays share the stock phrases of the genre but few longer runs of syllables.
Every function takes an explicit ``random.Random`` or seed: the same seed gives the same text.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from contest.vntext import SYLLABLE_RE, strip_diacritics, unify_tone_marks

__all__ = [
    "PLANTED_KINDS",
    "PlantedCorpus",
    "PlantedPair",
    "essay",
    "iter_planted",
    "person",
    "planted_corpus",
    "title",
]

_OPENERS = (
    "Trong bối cảnh hiện nay",
    "Thực tiễn cho thấy",
    "Có thể khẳng định rằng",
    "Không thể phủ nhận rằng",
    "Hơn thế nữa",
    "Bên cạnh đó",
    "Mặt khác",
    "Chính vì vậy",
    "Điều đáng chú ý là",
    "Lịch sử đã chứng minh rằng",
    "Cần nhận thức rõ rằng",
    "Nhìn lại chặng đường đã qua",
    "Trước những diễn biến phức tạp đó",
    "Trên thực tế",
    "Đáng lo ngại hơn",
    "Từ những phân tích trên",
    "Xét về bản chất",
    "Thời gian gần đây",
    "Nói cách khác",
    "Không phải ngẫu nhiên mà",
    "Qua nhiều kỳ đại hội",
    "Thật vậy",
    "Trong những năm qua",
    "Ở nhiều địa phương",
    "Với tinh thần cầu thị",
    "Đặc biệt",
    "Trong kỷ nguyên số",
    "Trước thềm đại hội",
    "Suy cho cùng",
    "Rõ ràng",
)
_SUBJECTS = (
    "các thế lực thù địch",
    "những phần tử cơ hội chính trị",
    "một số đối tượng phản động",
    "các tổ chức khủng bố lưu vong",
    "một bộ phận người bất mãn",
    "những kẻ tự xưng dân chủ",
    "các trang mạng phản động",
    "một số kênh truyền thông nước ngoài",
    "những người nhẹ dạ",
    "Đảng Cộng sản Việt Nam",
    "mỗi cán bộ, đảng viên",
    "thế hệ trẻ",
    "nhân dân ta",
    "toàn Đảng, toàn dân và toàn quân",
    "các cấp ủy, tổ chức đảng",
    "hệ thống chính trị",
    "báo chí cách mạng",
    "lực lượng vũ trang",
    "đội ngũ văn nghệ sĩ",
    "đoàn viên thanh niên",
    "những người đứng đầu",
    "các cơ quan chức năng",
    "Ban Chỉ đạo 35 các cấp",
    "đội ngũ báo cáo viên",
    "mặt trận và các đoàn thể",
    "giới trí thức",
    "học sinh, sinh viên",
    "đồng bào các dân tộc",
    "kiều bào ta ở nước ngoài",
    "chính quyền cơ sở",
)
_HOSTILE_VERBS = (
    "luôn tìm cách xuyên tạc",
    "ra sức bôi nhọ",
    "trắng trợn phủ nhận",
    "cố tình bóp méo",
    "không ngừng công kích",
    "lợi dụng để chống phá",
    "rêu rao rằng cần xét lại",
    "tung tin thất thiệt về",
    "kích động sự hoài nghi đối với",
    "cắt xén, đánh tráo",
    "đòi đa nguyên hóa",
    "tìm mọi cách hạ thấp",
    "phát tán tài liệu phủ nhận",
    "âm mưu phi chính trị hóa",
    "núp bóng phản biện để đả kích",
)
_LOYAL_VERBS = (
    "kiên định bảo vệ",
    "không ngừng củng cố",
    "chủ động đấu tranh bảo vệ",
    "tích cực tuyên truyền về",
    "vận dụng sáng tạo",
    "nâng cao nhận thức về",
    "góp phần làm sáng tỏ",
    "kiên quyết giữ vững",
    "bổ sung, phát triển",
    "lan tỏa sâu rộng",
    "nghiên cứu, học tập",
    "tự giác rèn luyện theo",
    "thấm nhuần sâu sắc",
    "bảo vệ đến cùng",
    "làm phong phú thêm",
    "đưa vào cuộc sống",
)
_OBJECTS = (
    "nền tảng tư tưởng của Đảng",
    "chủ nghĩa Mác - Lênin",
    "tư tưởng Hồ Chí Minh",
    "con đường đi lên chủ nghĩa xã hội",
    "công cuộc đổi mới",
    "thành tựu phát triển kinh tế",
    "khối đại đoàn kết toàn dân tộc",
    "vai trò lãnh đạo của Đảng",
    "chính sách dân tộc",
    "chính sách tôn giáo",
    "nhà nước pháp quyền xã hội chủ nghĩa",
    "nền dân chủ xã hội chủ nghĩa",
    "công tác phòng, chống tham nhũng",
    "đường lối đối ngoại độc lập, tự chủ",
    "quan điểm về quyền con người",
    "lịch sử dân tộc",
    "truyền thống văn hóa",
    "chủ quyền biển đảo",
    "nền quốc phòng toàn dân",
    "nguyên tắc tập trung dân chủ",
    "các giá trị hòa bình",
    "sự nghiệp xây dựng Tổ quốc",
    "niềm tin của nhân dân",
    "văn hóa thủy chung, nghĩa tình",
    "định hướng xã hội chủ nghĩa",
    "kinh tế thị trường",
    "hệ giá trị quốc gia",
    "cuộc cách mạng tháng Tám",
    "Cương lĩnh chính trị",
    "Hiến pháp năm 2013",
)
_MODIFIERS = (
    "trên không gian mạng",
    "một cách có hệ thống",
    "bằng những luận điệu sai trái",
    "với những thủ đoạn ngày càng tinh vi",
    "trong giai đoạn hiện nay",
    "ở cơ sở",
    "thông qua mạng xã hội",
    "dưới chiêu bài dân chủ, nhân quyền",
    "một cách kiên trì, bền bỉ",
    "ngay từ trong nhà trường",
    "bằng cả lý luận và thực tiễn",
    "trước mỗi sự kiện lớn",
    "trong từng chi bộ",
    "với tinh thần thượng tôn pháp luật",
    "bằng những việc làm cụ thể",
    "qua các diễn đàn trực tuyến",
    "trong mỗi gia đình",
    "một cách thiếu khách quan",
    "bằng các video cắt ghép",
    "theo kịch bản đã định sẵn",
    "ngày càng quyết liệt hơn",
)
_PURPOSES = (
    "nhằm gây chia rẽ nội bộ",
    "nhằm hạ thấp uy tín của Đảng",
    "để làm suy giảm niềm tin",
    "để góp phần xây dựng Đảng trong sạch, vững mạnh",
    "nhằm thúc đẩy tự diễn biến",
    "để ngăn chặn suy thoái tư tưởng chính trị",
    "nhằm giữ vững ổn định chính trị",
    "để bảo đảm sự phát triển bền vững",
    "nhằm kích động biểu tình, gây rối",
    "nhằm thực hiện âm mưu diễn biến hòa bình",
    "để củng cố khối đoàn kết",
    "nhằm khơi dậy khát vọng cống hiến",
    "để tạo sức đề kháng cho xã hội",
    "nhằm xóa bỏ vai trò lãnh đạo của Đảng",
    "để hủy hoại truyền thống dân tộc",
)
_JUDGEMENTS = (
    "đó là luận điệu hoàn toàn sai trái",
    "đây là sự thật không thể chối cãi",
    "điều này là thiếu cơ sở khoa học",
    "đó là bài học vô cùng quý giá",
    "đó là nhiệm vụ vừa cấp bách vừa lâu dài",
    "đó là một thủ đoạn không mới",
    "đây là yêu cầu tất yếu khách quan",
    "điều đó cần được nhận diện sớm",
    "đó là minh chứng sinh động nhất",
    "luận điệu ấy đã bị thực tế bác bỏ",
    "đó là trách nhiệm chính trị của mỗi người",
    "đây là vấn đề có tính nguyên tắc",
)
_EVIDENCE = (
    "tăng trưởng kinh tế bình quân đạt khoảng {pct} phần trăm mỗi năm",
    "tỷ lệ hộ nghèo giảm xuống còn {pct} phần trăm",
    "hơn {num} nghìn bài viết phản bác đã được đăng tải",
    "kim ngạch xuất khẩu vượt {num} tỷ đô la",
    "gần {num} nghìn cán bộ đã được tập huấn",
    "{num} trường hợp vi phạm đã bị xử lý kỷ luật",
    "chỉ số hạnh phúc tăng {pct} bậc",
    "hơn {num} nghìn lượt người tham gia cuộc thi",
    "quy mô nền kinh tế tăng gấp {small} lần",
    "tuổi thọ trung bình đạt {age} tuổi",
)
_PLACES = (
    "Hà Nội",
    "Thành phố Hồ Chí Minh",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Nghệ An",
    "Thanh Hóa",
    "Quảng Ninh",
    "Thừa Thiên Huế",
    "Đắk Lắk",
    "Lào Cai",
    "Cà Mau",
    "Bình Định",
    "Khánh Hòa",
    "Sơn La",
    "An Giang",
    "Hà Tĩnh",
    "Quảng Trị",
    "Lâm Đồng",
    "Điện Biên",
)
_SOURCES = (
    "Nghị quyết số 35-NQ/TW",
    "Văn kiện Đại hội XIII",
    "Chủ tịch Hồ Chí Minh",
    "Bác Hồ",
    "Tổng Bí thư",
    "Cương lĩnh năm 2011",
    "Chỉ thị số 05-CT/TW",
    "Hiến pháp",
    "C. Mác",
    "V.I. Lênin",
    "Báo cáo chính trị",
    "Nghị quyết Trung ương 4 khóa XII",
)
_ACTIONS = (
    "đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "nâng cao chất lượng sinh hoạt chi bộ",
    "phát huy vai trò nêu gương",
    "xây dựng lực lượng nòng cốt trên không gian mạng",
    "đổi mới công tác tuyên truyền",
    "chủ động nắm bắt tình hình tư tưởng",
    "kịp thời cung cấp thông tin chính thống",
    "siết chặt kỷ luật, kỷ cương",
    "tăng cường giáo dục lý luận chính trị",
    "nhân rộng các mô hình hay, cách làm hiệu quả",
    "phát hiện, biểu dương gương người tốt",
    "kiểm soát quyền lực trong công tác cán bộ",
    "xử lý nghiêm các sai phạm",
    "khuyến khích sáng tác các tác phẩm chính luận",
    "tập huấn kỹ năng viết bài phản bác",
    "lắng nghe ý kiến của nhân dân",
    "giải quyết kịp thời những bức xúc chính đáng",
    "chăm lo đời sống vật chất, tinh thần",
    "làm trong sạch môi trường thông tin",
    "giữ gìn và phát huy bản sắc văn hóa dân tộc",
)
_QUALITIES = (
    "sâu sắc",
    "toàn diện",
    "thuyết phục",
    "kịp thời",
    "khách quan",
    "bền vững",
    "nhất quán",
    "cụ thể",
    "thực chất",
    "đồng bộ",
    "quyết liệt",
    "khoa học",
    "sáng tạo",
    "linh hoạt",
)
_FILLERS = (
    "thực sự",
    "rõ ràng",
    "ngày nay",
    "vốn",
    "quả thật",
    "hết sức",
    "thường",
    "đang",
    "sẽ",
    "hẳn",
    "dường như",
    "chắc chắn",
    "luôn luôn",
    "xưa nay",
    "từ lâu",
    "một lần nữa",
    "cũng",
    "thật",
    "luôn",
    "rất",
    "đã",
    "vẫn",
    "càng",
    "mới",
    "đều",
    "chính",
    "nhiều",
    "ngày",
    "việc",
    "người",
    "dân",
    "nước",
    "lòng",
    "tin",
    "đường",
    "lối",
    "sức",
    "mạnh",
    "vững",
    "bền",
    "trong",
    "sạch",
    "sáng",
    "tỏ",
    "rõ",
    "thêm",
    "nữa",
    "vậy",
    "nên",
    "cho",
    "hay",
)
_TITLE_HEADS = (
    "Bảo vệ nền tảng tư tưởng của Đảng",
    "Nhận diện và phản bác",
    "Giữ vững trận địa tư tưởng",
    "Không thể xuyên tạc",
    "Kiên định con đường đã chọn",
    "Vạch trần luận điệu",
    "Niềm tin và bản lĩnh",
    "Sức mạnh từ lòng dân",
    "Lửa thử vàng",
    "Ngọn cờ tư tưởng",
    "Tỉnh táo trước mưu đồ",
    "Chân lý không thể phủ nhận",
)
_TITLE_TAILS = (
    "trên không gian mạng",
    "trong tình hình mới",
    "từ góc nhìn thực tiễn",
    "ở cơ sở",
    "của thế hệ trẻ",
    "về quyền con người",
    "trong kỷ nguyên vươn mình",
    "của người đảng viên",
    "từ một địa phương",
    "bằng những việc làm cụ thể",
    "giữa thời đại số",
    "qua lời Bác dạy",
)

_TEMPLATES = (
    ("opener", ", ", "hostile", " ", "hverb", " ", "object", " ", "modifier", " ", "purpose"),
    ("opener", ", ", "loyal", " ", "lverb", " ", "object", " ", "modifier"),
    ("hostile", " ", "hverb", " ", "object", ", ", "judgement"),
    ("opener", ", ", "judgement", ": ", "evidence", " ", "place_clause"),
    ("source", " ", "said", " rằng ", "loyal", " phải ", "action", " ", "purpose"),
    ("opener", ", cần ", "action", " và ", "action", " một cách ", "quality"),
    ("loyal", " đã ", "action", " ", "modifier", ", nhờ đó ", "evidence"),
    ("opener", ", ", "object", " là ", "noun_phrase", ", ", "judgement"),
    ("from", " ", "place", ", ", "loyal", " ", "lverb", " ", "object", " ", "purpose"),
    ("opener", ", ", "hostile", " còn ", "hverb", " ", "object", " và ", "object"),
    ("question",),
    ("loyal", " cần ", "lverb", " ", "object", ", đồng thời ", "action", " ", "modifier"),
)
_SAID = ("từng căn dặn", "đã chỉ rõ", "khẳng định", "nhấn mạnh", "luôn nhắc nhở", "yêu cầu")
_NOUN_PHRASES = (
    "kim chỉ nam cho mọi hành động",
    "sợi chỉ đỏ xuyên suốt",
    "nền móng vững chắc",
    "tài sản tinh thần vô giá",
    "cội nguồn sức mạnh",
    "thành quả của bao thế hệ",
    "lựa chọn đúng đắn của lịch sử",
    "điểm tựa tinh thần",
    "bệ phóng cho phát triển",
)
_FROM = ("Tại", "Ở", "Từ thực tiễn", "Qua khảo sát tại", "Những năm gần đây tại")
_QUESTIONS = (
    "Vậy đâu là sự thật",
    "Phải chăng họ không biết điều đó",
    "Vì sao lại như vậy",
    "Câu hỏi đặt ra là chúng ta cần làm gì",
    "Liệu có ai tin vào những lời lẽ ấy",
)


# An author's own wording, between the stock phrases: common words combined freely, so that
# (as in real essays) most 5-syllable runs of an essay are its own. The stock phrases above stay
# the genre's shared vocabulary.
def _words(block: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in block.replace("\n", "|").split("|") if w.strip())


_NOUNS = _words("""
người dân|cán bộ|đảng viên|thanh niên|học sinh|giáo viên|nông dân|công nhân|bộ đội|cựu chiến binh
gia đình|làng quê|thôn bản|khu phố|trường học|chi bộ|hội nghị|buổi sinh hoạt|tờ báo|bài viết
trang mạng|đoạn phim|bức ảnh|lời nói|việc làm|tấm gương|câu chuyện|kỷ niệm|ký ức|phong tục
niềm tin|lòng tin|ý chí|bản lĩnh|khát vọng|trách nhiệm|nghĩa vụ|quyền lợi|lợi ích|đời sống
bữa cơm|mái nhà|cánh đồng|con đường|dòng sông|ngọn núi|biên giới|hải đảo|thành phố|nông thôn
mùa màng|vụ lúa|nhà máy|công trường|bệnh viện|trạm y tế|lớp học|thư viện|sân đình|nhà văn hóa
thông tin|tin đồn|dư luận|sự thật|lẽ phải|chân lý|luận điểm|lập luận|chứng cứ|số liệu
chính sách|pháp luật|kỷ luật|quy định|cơ chế|nguồn lực|ngân sách|dự án|chương trình|kế hoạch
đồng chí|bà con|cụ già|em nhỏ|người mẹ|người cha|người thầy|người lính|bác sĩ|kỹ sư
thế hệ|thời đại|giai đoạn|năm tháng|ngày mai|hôm nay|quá khứ|tương lai|hiện tại|tuổi trẻ
đất nước|quê hương|Tổ quốc|dân tộc|xã hội|cộng đồng|tập thể|cá nhân|tổ chức|phong trào
điện thoại|màn hình|bình luận|lượt chia sẻ|tài khoản|nhóm kín|diễn đàn|video|hình ảnh|đường link
khó khăn|thử thách|cơ hội|thành quả|kết quả|hạn chế|khuyết điểm|ưu điểm|bài học|kinh nghiệm
tấm lòng|mồ hôi|máu xương|nước mắt|nụ cười|cơn mưa|cơn bão|trận lũ|mùa xuân|mùa thu
học bổng|việc làm thêm|giờ học|bài giảng|sách giáo khoa|cuốn nhật ký|lá thư|tờ rơi|khẩu hiệu|bản tin
chợ quê|cây cầu|ngôi trường|trạm xá|đồn biên phòng|con tàu|ngư dân|mẻ lưới|vườn cây|đàn trâu
""")
_VERBS = _words("""
nhìn thấy|lắng nghe|kể lại|ghi nhận|chứng kiến|trăn trở|suy ngẫm|chia sẻ|lan truyền|đăng tải
tin tưởng|nghi ngờ|phản đối|ủng hộ|bảo vệ|gìn giữ|vun đắp|xây dựng|sửa chữa|khắc phục
giúp đỡ|động viên|nhắc nhở|khuyên bảo|dạy dỗ|học hỏi|tìm hiểu|nghiên cứu|so sánh|đối chiếu
đi qua|trở về|ở lại|ra đi|gặp gỡ|trò chuyện|hỏi han|thăm hỏi|đón nhận|trao tặng
vượt qua|đứng vững|đổi thay|lớn lên|trưởng thành|vươn lên|gắn bó|nhớ mãi|mang theo|gửi gắm
làm rõ|vạch ra|chỉ ra|nêu lên|đặt ra|giải thích|chứng minh|bác bỏ|phân tích|nhận định
bỏ qua|xem nhẹ|coi thường|lãng quên|né tránh|che giấu|thổi phồng|bịa đặt|gán ghép|suy diễn
""")
_ADJS = _words("""
giản dị|mộc mạc|chân thành|ấm áp|lặng lẽ|bền bỉ|kiên nhẫn|tận tụy|gần gũi|thân thương
khó quên|đáng quý|đáng trân trọng|đáng suy ngẫm|sai lệch|mơ hồ|vô căn cứ|phiến diện|nông cạn|độc hại
rõ rệt|to lớn|lâu dài|cụ thể|thiết thực|sinh động|mới mẻ|quen thuộc|cũ kỹ|nhanh chóng
vất vả|gian nan|nhọc nhằn|yên bình|no ấm|đủ đầy|khang trang|sạch đẹp|rộn ràng|tươi vui
""")
_ADVERBS = _words("""
mỗi ngày|hằng tuần|suốt đêm|từ sáng sớm|đến tận khuya|ngay lập tức|dần dần|từng chút một
bao năm qua|mấy chục năm|trong im lặng|giữa đời thường|bên bếp lửa|trên cánh đồng|dưới mái trường|nơi đầu sóng
""")
_LINKS = _words("""
và|nhưng|vì|nên|mà|để|khi|nếu|dù|tuy|rồi|cho đến khi|bởi vì|cho nên|vậy mà|thế nhưng
""")
_OWN_PATTERNS = (
    ("noun", "verb", "noun", "adj"),
    ("noun", "adv", "verb", "noun"),
    ("link", "noun", "verb", "noun", "adv"),
    ("noun", "adj", "link", "noun", "verb", "noun"),
    ("verb", "noun", "adj", "adv"),
    ("link", "noun", "noun", "verb", "adj"),
)


def _own_clause(rng: random.Random) -> str:
    """A clause in the author's own words (free combination of common words)."""
    pools = {"noun": _NOUNS, "verb": _VERBS, "adj": _ADJS, "adv": _ADVERBS, "link": _LINKS}
    return " ".join(rng.choice(pools[slot]) for slot in rng.choice(_OWN_PATTERNS))


def _fill(rng: random.Random, slot: str) -> str:
    c = rng.choice
    if slot == "opener":
        return c(_OPENERS)
    if slot == "hostile":
        return c(_SUBJECTS[:9])
    if slot == "loyal":
        return c(_SUBJECTS[9:])
    if slot == "hverb":
        return c(_HOSTILE_VERBS)
    if slot == "lverb":
        return c(_LOYAL_VERBS)
    if slot == "object":
        return c(_OBJECTS)
    if slot == "modifier":
        return c(_MODIFIERS)
    if slot == "purpose":
        return c(_PURPOSES)
    if slot == "judgement":
        return c(_JUDGEMENTS)
    if slot == "evidence":
        return c(_EVIDENCE).format(
            pct=f"{rng.randint(1, 9)},{rng.randint(0, 9)}",
            num=rng.randint(2, 990),
            small=rng.randint(2, 12),
            age=rng.randint(70, 76),
        )
    if slot == "place_clause":
        return f"tính riêng {c(_PLACES)} năm {rng.randint(1990, 2025)}"
    if slot == "source":
        return c(_SOURCES)
    if slot == "said":
        return c(_SAID)
    if slot == "action":
        return c(_ACTIONS)
    if slot == "quality":
        return c(_QUALITIES)
    if slot == "noun_phrase":
        return c(_NOUN_PHRASES)
    if slot == "from":
        return c(_FROM)
    if slot == "place":
        return c(_PLACES)
    raise KeyError(slot)


def _break_up(rng: random.Random, phrase: str) -> str:
    """Insert free words inside long phrases, so unrelated essays rarely share 8-syllable runs."""
    words = phrase.split(" ")
    for _ in range((len(words) - 1) // 4):
        words.insert(rng.randint(2, len(words) - 2), rng.choice(_FILLERS))
    return " ".join(words)


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.3:
        text = ", ".join(_own_clause(rng) for _ in range(rng.randint(2, 3)))
        return text[0].upper() + text[1:] + "."
    template = rng.choice(_TEMPLATES)
    if template == ("question",):
        return rng.choice(_QUESTIONS) + "?"
    parts = [_own_clause(rng) + ", "] if rng.random() < 0.4 else []
    for p in template:
        if p[:1] in " ,:":
            parts.append(p)
            continue
        if parts and rng.random() < 0.35:
            parts.append(rng.choice(_FILLERS) + " ")
        parts.append(_break_up(rng, _fill(rng, p)))
    if rng.random() < 0.6:
        parts.append(" " + " ".join(rng.choice(_FILLERS) for _ in range(rng.randint(1, 3))))
    if rng.random() < 0.6:
        parts.append(", " + _own_clause(rng))
    text = "".join(parts)
    return text[0].upper() + text[1:] + "."


def _count(text: str) -> int:
    return len(SYLLABLE_RE.findall(text))


def _sentences(rng: random.Random, syllables: int) -> list[str]:
    out: list[str] = []
    total = 0
    while total < syllables:
        s = _sentence(rng)
        out.append(s)
        total += _count(s)
    return out


def _paragraphs(rng: random.Random, sentences: list[str]) -> str:
    paras: list[str] = []
    i = 0
    while i < len(sentences):
        k = rng.randint(3, 7)
        paras.append(" ".join(sentences[i : i + k]))
        i += k
    return "\n\n".join(paras)


def essay(rng: random.Random, *, syllables: int = 2500) -> str:
    """Return a synthetic polemical essay of about ``syllables`` syllables (at least that many).

    Paragraphs are separated by a blank line ("\\n\\n"); the text is NFC and uses the old
    tone-mark placement (hòa, thủy), the most common in current files.
    """
    return _paragraphs(rng, _sentences(rng, syllables))


def title(rng: random.Random) -> str:
    """Return a plausible essay title such as "Vạch trần luận điệu trên không gian mạng"."""
    return f"{rng.choice(_TITLE_HEADS)} {rng.choice(_TITLE_TAILS)}"


_SURNAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thanh", "Ngọc", "Hữu", "Quang", "Thu", "Hoài", "Xuân")
_GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Tuấn",
    "Việt",
    "Yến",
    "Thủy",
)
_POSITIONS = (
    "Bí thư chi bộ",
    "Phó Bí thư Đảng ủy",
    "Chuyên viên Ban Tuyên giáo",
    "Giáo viên",
    "Phóng viên",
    "Trung tá, Chính trị viên",
    "Sinh viên",
    "Cán bộ hưu trí",
    "Trưởng phòng Văn hóa - Thông tin",
    "Giảng viên lý luận chính trị",
)
_UNITS = (
    "Trường THPT Nguyễn Du",
    "Báo Nhân Dân",
    "Đảng ủy phường Bến Thành",
    "Trường Chính trị tỉnh",
    "Bộ Chỉ huy Quân sự tỉnh",
    "Đài Phát thanh - Truyền hình",
    "Trường Đại học Sư phạm",
    "UBND xã Tân Phú",
    "Công an huyện",
    "Hội Cựu chiến binh",
)
_STREETS = (
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Phan Đình Phùng",
    "Quang Trung",
    "Điện Biên Phủ",
)


def person(rng: random.Random) -> dict[str, str]:
    """Return a synthetic identity with full_name, pen_name, birth_date (ISO), position, unit,
    address, phone (10 digits starting 0), email and id_number (12 digits, CCCD-like)."""
    surname, middle, given = rng.choice(_SURNAMES), rng.choice(_MIDDLE), rng.choice(_GIVEN)
    year = rng.randint(1950, 2006)
    birth = f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    ascii_name = strip_diacritics(f"{given}{surname}").lower()
    province = rng.randint(1, 96)
    century_sex = (0 if year < 2000 else 2) + rng.randint(0, 1)
    return {
        "full_name": f"{surname} {middle} {given}",
        "pen_name": f"{rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}",
        "birth_date": birth,
        "position": rng.choice(_POSITIONS),
        "unit": rng.choice(_UNITS),
        "address": f"Số {rng.randint(1, 300)} đường {rng.choice(_STREETS)}, {rng.choice(_PLACES)}",
        "phone": rng.choice(("09", "03", "08", "07", "05")) + f"{rng.randrange(10**8):08d}",
        "email": f"{ascii_name}{rng.randint(1, 999)}@example.vn",
        "id_number": f"{province:03d}{century_sex}{year % 100:02d}{rng.randrange(10**6):06d}",
    }


# --- planted corpora ------------------------------------------------------------------------

PLANTED_KINDS = (
    "verbatim",
    "partial15",
    "partial30",
    "partial50",
    "partial80",
    "light_edit",
    "reordered",
    "stripped",
    "nfd",
    "tone_style",
    "quotation",
    "ref_copy",
)


@dataclass(frozen=True)
class PlantedPair:
    """One planted relation: ``a`` was made from ``b`` (a document name or "ref:<name>").

    ``shared`` is the true share of a's syllables taken from b (for light edits, the copied
    region including the ~10% edited syllables, i.e. what a detector should report as covered).
    """

    a: str
    b: str
    kind: str
    shared: float


@dataclass
class PlantedCorpus:
    """Documents (name -> text, in order), reference texts (name -> text) and the planted truth."""

    docs: dict[str, str]
    references: dict[str, str]
    truth: list[PlantedPair] = field(default_factory=list)


def _split_sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in _sent_split(p)]


def _sent_split(paragraph: str) -> list[str]:
    out, start = [], 0
    for i, ch in enumerate(paragraph):
        if ch in ".?" and (i + 1 == len(paragraph) or paragraph[i + 1] == " "):
            out.append(paragraph[start : i + 1].strip())
            start = i + 1
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def _take_run(rng: random.Random, sentences: list[str], syllables: int) -> list[str]:
    """A run of consecutive sentences with about ``syllables`` syllables."""
    counts = [_count(s) for s in sentences]
    start = rng.randrange(max(1, len(sentences) // 3))
    out, total = [], 0
    for s, n in zip(
        sentences[start:] + sentences[:start], counts[start:] + counts[:start], strict=True
    ):
        if total >= syllables:
            break
        out.append(s)
        total += n
    return out


def _paste(rng: random.Random, source: str, fraction: float, syllables: int) -> tuple[str, float]:
    run = _take_run(rng, _split_sentences(source), int(fraction * syllables))
    own = _sentences(rng, int((1 - fraction) * syllables))
    pos = rng.randint(0, len(own))
    text = (
        _paragraphs(rng, own[:pos]) + "\n\n" + " ".join(run) + "\n\n" + _paragraphs(rng, own[pos:])
    )
    text = text.strip("\n")
    shared = _count(" ".join(run)) / _count(text)
    return text, shared


def _light_edit(rng: random.Random, source: str) -> str:
    def sub(m):
        return rng.choice(_FILLERS) if rng.random() < 0.1 else m.group()

    return SYLLABLE_RE.sub(sub, source)


def _reorder(rng: random.Random, source: str) -> str:
    sentences = _split_sentences(source)
    rng.shuffle(sentences)
    return _paragraphs(rng, sentences)


def _quote(rng: random.Random, reference: str, syllables: int) -> tuple[str, float]:
    ref_sentences = _split_sentences(reference)
    own = _sentences(rng, int(0.85 * syllables))
    quoted = 0
    for _ in range(rng.randint(3, 5)):
        run = _take_run(rng, ref_sentences, rng.randint(20, 60))
        passage = " ".join(run).rstrip(".?")
        quoted += _count(passage)
        lead = f"{rng.choice(_SOURCES)} {rng.choice(_SAID)}"
        own.insert(rng.randint(0, len(own)), f"{lead}: “{passage}”.")
    text = _paragraphs(rng, own)
    return text, quoted / _count(text)


def iter_planted(
    n: int, *, seed: int = 0, syllables: int = 2500
) -> tuple[dict[str, str], list[PlantedPair], Iterator[tuple[str, str]]]:
    """Stream a planted corpus: (references, truth, iterator of (name, text)).

    ``truth`` is filled as the iterator advances (complete once it is exhausted). Only the
    sources of planted copies are kept in memory, so very large corpora can be streamed.
    About one document in 20 is planted (at least one of each kind when ``n`` allows),
    cycling through PLANTED_KINDS; each planted document follows a fresh source essay.
    """
    rng = random.Random(seed)
    references = {f"ref{i}": essay(rng, syllables=syllables) for i in range(3)}
    truth: list[PlantedPair] = []
    planted = min(max(len(PLANTED_KINDS), n // 20), n // 2)

    def generate() -> Iterator[tuple[str, str]]:
        # Planted documents are spread evenly; each derives from the essay just before it.
        every = max(2, n // planted) if planted else n + 1
        last_name, last_text = "", ""
        k = 0
        for i in range(n):
            name = f"e{i:06d}"
            doc_rng = random.Random(f"{seed}:{i}")
            if i % every == every - 1 and k < planted and last_name:
                kind = PLANTED_KINDS[k % len(PLANTED_KINDS)]
                k += 1
                text, b, shared = _derive(
                    doc_rng, kind, last_name, last_text, references, syllables
                )
                truth.append(PlantedPair(name, b, kind, round(shared, 4)))
                last_name, last_text = "", ""
            else:
                text = essay(doc_rng, syllables=syllables)
                last_name, last_text = name, text
            yield name, text

    return references, truth, generate()


def _derive(rng, kind, src_name, src, references, syllables) -> tuple[str, str, float]:
    if kind == "verbatim":
        return src, src_name, 1.0
    if kind.startswith("partial"):
        text, shared = _paste(rng, src, int(kind[7:]) / 100, syllables)
        return text, src_name, shared
    if kind == "light_edit":
        return _light_edit(rng, src), src_name, 1.0
    if kind == "reordered":
        return _reorder(rng, src), src_name, 1.0
    if kind == "stripped":
        return strip_diacritics(src), src_name, 1.0
    if kind == "nfd":
        return unicodedata.normalize("NFD", src), src_name, 1.0
    if kind == "tone_style":
        return unify_tone_marks(src, style="new"), src_name, 1.0
    ref_name = rng.choice(sorted(references))
    if kind == "quotation":
        text, shared = _quote(rng, references[ref_name], syllables)
        return text, f"ref:{ref_name}", shared
    if kind == "ref_copy":
        text, shared = _paste(rng, references[ref_name], 0.3, syllables)
        return text, f"ref:{ref_name}", shared
    raise ValueError(kind)


def planted_corpus(n: int, *, seed: int = 0, syllables: int = 2500) -> PlantedCorpus:
    """Build a corpus of ``n`` essays with planted copies of every kind in PLANTED_KINDS.

    Kinds: verbatim copies, partial pastes of 15/30/50/80%, light edits (~10% syllables
    substituted), reordered sentences, stripped diacritics, NFD text, the other tone-mark
    style, quotation-only use of a reference (inside “…”), an unquoted paste from a reference;
    all other documents are unrelated. Deterministic for a given ``seed``.
    """
    references, truth, docs = iter_planted(n, seed=seed, syllables=syllables)
    materialised = dict(docs)
    return PlantedCorpus(materialised, references, truth)
